//! One room's actor: the loop that feeds the [`Core`] its inputs (client
//! commands, bus events, finished writes, timers) and carries out what it
//! asks (queue frames, publish, persist, let go of connections).
//!
//! Phases: *loading* (subscribe, then load; joins wait in the queue; a
//! failed load refuses them and never becomes an empty document),
//! *active*, and *unloading* (persist everything, then leave the hub).
//! The loop arms a timer only while something is due (a write, an
//! awareness sweep), so an idle room costs nothing.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{Instrument, error, info_span, warn};

use super::core::{Core, CoreLimits, Effects, Guarded};
use super::history::{History, HistoryLimits};
use super::outbox::{self, Inbox, Outbox};
use super::persister::{Persister, Target};
use super::{Access, CloseReason, Command, JoinError, Joined, PeerId, PeerKind, Shared};
use crate::bus::{BusEvent, Subscription};
use crate::doc;
use crate::domain::RoomId;
use crate::mailbox;

mod history;

/// Pending updates that start a write before the batching interval ends.
const EARLY_FLUSH: usize = 1024;

/// The socket side of a connection, as the actor holds it.
struct PeerIo {
    outbox: Outbox,
    close: Arc<OnceLock<CloseReason>>,
}

struct Room {
    id: RoomId,
    generation: u64,
    shared: Arc<Shared>,
    self_tx: mailbox::Sender<Command>,
    inbox: Arc<Inbox>,
    core: Core,
    io: HashMap<PeerId, PeerIo>,
    persister: Persister,
    target: Target,
    /// When the core's awareness sweep is next due.
    sweep_at: Option<Instant>,
    history: History,
}

pub(super) fn spawn(
    id: RoomId,
    generation: u64,
    self_tx: mailbox::Sender<Command>,
    rx: mailbox::Receiver<Command>,
    inbox: Arc<Inbox>,
    shared: Arc<Shared>,
) {
    let span = info_span!("room", room = %id);
    tokio::spawn(run(id, generation, self_tx, rx, inbox, shared).instrument(span));
}

/// Milliseconds since the epoch: the clock awareness states are dated by.
fn now_ms() -> u64 {
    chrono::Utc::now().timestamp_millis().max(0) as u64
}

async fn load(shared: &Shared, id: &RoomId) -> Result<(Subscription, yrs::Doc), JoinError> {
    // Subscribe first, then load: nothing published in between is missed.
    let subscription = shared.bus.subscribe(id).await.map_err(|e| {
        warn!(error = %e, "bus subscribe failed");
        JoinError::Unavailable
    })?;
    match shared.store.load(id).await {
        Ok(Some(updates)) => {
            let doc = doc::from_updates(updates.iter().map(Vec::as_slice)).map_err(|e| {
                warn!(error = %e, "stored document does not decode");
                JoinError::Unavailable
            })?;
            Ok((subscription, doc))
        }
        Ok(None) => Err(JoinError::NotFound),
        Err(e) => {
            warn!(error = %e, "room load failed");
            Err(JoinError::Unavailable)
        }
    }
}

async fn run(
    id: RoomId,
    generation: u64,
    self_tx: mailbox::Sender<Command>,
    mut rx: mailbox::Receiver<Command>,
    inbox: Arc<Inbox>,
    shared: Arc<Shared>,
) {
    let (mut subscription, doc) = match load(&shared, &id).await {
        Ok(loaded) => loaded,
        Err(error) => {
            // Every waiting client is told; the next join tries again.
            shared.remove(&id, generation);
            rx.close();
            while let Some(command) = rx.recv().await {
                if let Command::Join { reply, .. } = command {
                    let _ = reply.send(Err(error));
                }
            }
            return;
        }
    };
    shared.metrics.rooms_open.inc();
    let settings = &shared.settings;
    let mut room = Room {
        id,
        generation,
        shared: shared.clone(),
        self_tx,
        inbox,
        core: Core::new(doc, CoreLimits::from_settings(settings)),
        io: HashMap::new(),
        persister: Persister::new(
            Duration::from_millis(settings.persist.flush_interval_ms),
            settings.persist.compact_every,
        ),
        sweep_at: None,
        target: Target {
            writer: shared.writer.clone(),
            store: shared.store.clone(),
        },
        history: History::new(HistoryLimits::from_settings(settings)),
    };
    // What the bus handed over on subscribing (the stream tail, newer
    // than the store) is merged before any command is served: a restore
    // on a room opened for it must diff against the whole document.
    for event in subscription.take_tail() {
        room.on_bus(event);
    }
    while let Some(event) = subscription.try_recv() {
        room.on_bus(event);
    }
    room.serve(rx, subscription).await;
    shared.metrics.rooms_open.dec();
}

impl Room {
    async fn serve(&mut self, mut rx: mailbox::Receiver<Command>, mut subscription: Subscription) {
        loop {
            let deadline = self.deadline();
            tokio::select! {
                command = rx.recv() => {
                    let Some(command) = command else { break };
                    if let Command::Shutdown { done } = command {
                        self.finish_history().await;
                        self.flush_all().await;
                        self.close_all(CloseReason::SHUTTING_DOWN);
                        self.shared.remove(&self.id, self.generation);
                        let _ = done.send(());
                        return;
                    }
                    self.handle(command).await;
                    if self.core.peer_count() == 0 && rx.is_empty() && self.unload(&mut rx).await {
                        return;
                    }
                }
                event = subscription.recv() => match event {
                    Some(event) => self.on_bus(event),
                    None => {
                        // The bus let go of us: merge from the store so
                        // nothing is missed, and keep going.
                        warn!("bus subscription ended; resubscribing");
                        match self.shared.bus.subscribe(&self.id).await {
                            Ok(mut s) => {
                                for event in s.take_tail() {
                                    self.on_bus(event);
                                }
                                subscription = s;
                            }
                            Err(e) => warn!(error = %e, "resubscribe failed"),
                        }
                        self.resync();
                    }
                },
                Some(written) = self.persister.next_written(), if self.persister.in_flight() => {
                    if self.persister.finished(written, &self.id, &self.shared.metrics) {
                        self.compact();
                    }
                }
                _ = sleep_until(deadline), if deadline.is_some() => {
                    self.on_timer();
                    if self.core.peer_count() == 0 && self.unload(&mut rx).await {
                        return;
                    }
                }
            }
        }
    }

    /// The earliest of what is due: a write, an awareness sweep, a
    /// checkpoint.
    fn deadline(&self) -> Option<Instant> {
        [
            self.persister.due(),
            self.sweep_at,
            self.history.schedule.due(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn on_timer(&mut self) {
        let now = Instant::now();
        if self.persister.due().is_some_and(|at| at <= now) {
            self.start_write();
        }
        if self.sweep_at.is_some_and(|at| at <= now) {
            let effects = self.guarded(None, |core| core.sweep(now_ms()));
            self.carry_out(effects);
        }
        self.rearm_sweep();
        self.on_history_timer();
    }

    fn rearm_sweep(&mut self) {
        let now = now_ms();
        self.sweep_at = self
            .core
            .next_sweep_ms()
            .map(|at| Instant::now() + Duration::from_millis(at.saturating_sub(now)));
    }

    fn start_write(&mut self) {
        let snapshot = self.core.snapshot();
        self.persister
            .start(&self.target, &self.id, snapshot.code, snapshot.language);
    }

    /// Runs one core step behind [`super::core::guarded`], counting and
    /// logging a panic.
    fn guarded(
        &mut self,
        culprit: Option<PeerId>,
        step: impl FnOnce(&mut Core) -> Effects,
    ) -> Effects {
        match super::core::guarded(&mut self.core, culprit, step) {
            Guarded::Ran(effects) => effects,
            Guarded::Panicked(effects) => {
                self.shared.metrics.room_panics.inc();
                error!(room = %self.id, peer = ?culprit, "a message panicked inside the room core; closing its connection");
                effects
            }
        }
    }

    /// Carries out what the core asked for.
    fn carry_out(&mut self, effects: Effects) {
        let Effects {
            frames,
            publish,
            persist,
            close,
            rejected,
            applied,
        } = effects;
        let metrics = self.shared.metrics.clone();
        metrics.updates.inc_by(applied);
        for reason in rejected {
            metrics.reject(reason);
        }
        self.persister.push(persist);
        self.note_edits(&publish);
        for message in publish {
            self.shared.bus.publish(&self.id, message);
        }
        let mut slow = Vec::new();
        for (peer, frame) in frames {
            let Some(io) = self.io.get(&peer) else {
                continue;
            };
            metrics.frames_sent.inc();
            if io.outbox.push(frame).is_err() && !slow.contains(&peer) {
                slow.push(peer);
            }
        }
        for (peer, reason) in close {
            self.let_go(peer, reason);
        }
        // A client too slow to keep up is disconnected, never skipped: its
        // reconnect handshake brings it up to date.
        for peer in slow {
            if self.io.contains_key(&peer) {
                metrics.slow_consumers.inc();
                self.let_go(peer, CloseReason::SLOW_CONSUMER);
                let more = self.guarded(None, |core| core.leave(peer));
                self.carry_out(more);
            }
        }
        if self.persister.pending_len() >= EARLY_FLUSH {
            self.start_write();
        }
    }

    /// Drops the socket side of a connection: its frame stream ends and
    /// the socket closes with `reason`; its `Leave` follows.
    fn let_go(&mut self, peer: PeerId, reason: CloseReason) {
        if let Some(io) = self.io.remove(&peer) {
            let _ = io.close.set(reason);
        }
    }

    fn close_all(&mut self, reason: CloseReason) {
        for (_, io) in self.io.drain() {
            let _ = io.close.set(reason);
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Join {
                kind,
                access,
                reply,
            } => self.join(kind, access, reply),
            Command::Leave { peer } => self.leave(peer),
            Command::Yjs {
                peer,
                message,
                cost,
            } => {
                self.inbox.release(cost);
                let effects = self.guarded(Some(peer), |core| core.yjs(peer, message, now_ms()));
                self.carry_out(effects);
                self.rearm_sweep();
            }
            Command::JsonCode { peer, edit, cost } => {
                self.inbox.release(cost);
                let effects = self.guarded(Some(peer), |core| core.json_code(peer, *edit));
                self.carry_out(effects);
            }
            Command::JsonCursor {
                peer,
                cursor,
                selection_end,
                user_id,
                cost,
            } => {
                self.inbox.release(cost);
                let effects = self.guarded(Some(peer), |core| {
                    core.json_cursor(peer, cursor, selection_end, user_id.as_deref())
                });
                self.carry_out(effects);
            }
            Command::Merge(updates) => {
                let effects = self.guarded(None, |core| core.merge(&updates));
                self.carry_out(effects);
            }
            Command::Snapshot { reply } => {
                let _ = reply.send(self.core.snapshot());
            }
            Command::Checkpoint { name, reply } => self.checkpoint(name, reply),
            Command::Restore { target, reply } => self.restore(*target, reply),
            Command::Shutdown { .. } => {}
        }
    }

    /// Never waits: presence is recorded locally and the bus tells the
    /// other instances in the background.
    fn join(
        &mut self,
        kind: PeerKind,
        access: Access,
        reply: oneshot::Sender<Result<Joined, JoinError>>,
    ) {
        let limits = &self.shared.settings.limits;
        if self.core.peer_count() >= limits.max_conns_per_room {
            self.shared.metrics.reject("room_full");
            let _ = reply.send(Err(JoinError::Full));
            return;
        }
        let (outbox, frames) = outbox::outbox(limits.send_queue_bytes);
        let user_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let count = self.set_presence(self.core.peer_count() + 1);
        let mut added = None;
        let greeting = self.guarded(None, |core| {
            let (peer, greeting) = core.join_as(kind, access, user_id.clone(), count, now_ms());
            added = Some(peer);
            greeting
        });
        let Some(peer) = added else {
            let _ = reply.send(Err(JoinError::Unavailable));
            return;
        };
        let close = Arc::new(OnceLock::new());
        let joined = Joined {
            peer,
            user_id,
            frames,
            close: close.clone(),
            inbox: self.inbox.clone(),
        };
        if reply.send(Ok(joined)).is_err() {
            // The client gave up while waiting; undo.
            let _ = self.core.leave(peer);
            self.set_presence(self.core.peer_count());
            return;
        }
        self.io.insert(peer, PeerIo { outbox, close });
        self.carry_out(greeting);
        let notice = self.core.presence(true, count, Some(peer));
        self.carry_out(notice);
        self.shared
            .bus
            .publish(&self.id, crate::bus::Outgoing::Presence { joined: true });
    }

    /// Every connection sends exactly one `Leave` when it ends, also when
    /// the room let go of it first: the count and the others' `user_left`
    /// are settled here, once, either way.
    fn leave(&mut self, peer: PeerId) {
        self.note_authors();
        self.let_go(peer, CloseReason::UNAVAILABLE);
        let effects = self.guarded(None, |core| core.leave(peer));
        self.carry_out(effects);
        let count = self.set_presence(self.core.peer_count());
        let notice = self.core.presence(false, count, None);
        self.carry_out(notice);
        self.shared
            .bus
            .publish(&self.id, crate::bus::Outgoing::Presence { joined: false });
    }

    fn set_presence(&self, local: usize) -> usize {
        self.shared.bus.set_presence(&self.id, local).max(local)
    }

    fn on_bus(&mut self, event: BusEvent) {
        let effects = match event {
            BusEvent::Update { update, author } => {
                self.guarded(None, |core| core.remote_update(&update, author.as_deref()))
            }
            BusEvent::Awareness(frame) => {
                let effects = self.guarded(None, |core| core.remote_awareness(&frame, now_ms()));
                self.rearm_sweep();
                effects
            }
            BusEvent::Cursor(frame) => self.core.remote_cursor(&frame),
            BusEvent::Presence { joined, total } => {
                self.core
                    .presence(joined, total.max(self.core.peer_count()), None)
            }
            BusEvent::Resync => {
                self.resync();
                return;
            }
        };
        self.carry_out(effects);
    }

    /// Merges the stored state again, now and once more after the other
    /// instances' next flush (what they had not yet written is then in).
    fn resync(&self) {
        self.shared.metrics.bus_resyncs.inc();
        let store = self.shared.store.clone();
        let id = self.id.clone();
        let tx = self.self_tx.clone();
        let later = Duration::from_millis(self.shared.settings.persist.flush_interval_ms * 3);
        tokio::spawn(async move {
            for delay in [Duration::ZERO, later] {
                tokio::time::sleep(delay).await;
                match store.load(&id).await {
                    Ok(Some(updates)) => {
                        if tx.send(Command::Merge(updates)).is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(e) => warn!(error = %e, "resync load failed"),
                }
            }
        });
    }

    fn compact(&self) {
        let store = self.shared.store.clone();
        let id = self.id.clone();
        tokio::spawn(async move {
            if let Err(e) = store.compact(&id).await {
                warn!(room = %id, error = %e, "compaction failed");
            }
        });
    }

    async fn flush_all(&mut self) -> bool {
        let core = &self.core;
        let text = || {
            let s = core.snapshot();
            (s.code, s.language)
        };
        self.persister
            .flush_all(&self.target, &self.id, text, &self.shared.metrics)
            .await
    }

    /// Leaves the hub once everything is persisted. Joins that raced with
    /// the unload are told to retry, which starts a fresh actor.
    async fn unload(&mut self, rx: &mut mailbox::Receiver<Command>) -> bool {
        self.finish_history().await;
        if !self.flush_all().await || self.persister.stuck() > 0 {
            // Keep the room (and its unsaved edits) until the store takes
            // them.
            return false;
        }
        if self.core.peer_count() > 0 || !rx.is_empty() {
            return false;
        }
        // Connections the room let go of may not have sent their `Leave`
        // yet; it would find the room gone, so settle the count here.
        self.set_presence(0);
        self.shared.remove(&self.id, self.generation);
        rx.close();
        while let Some(command) = rx.recv().await {
            match command {
                Command::Join { reply, .. } => {
                    let _ = reply.send(Err(JoinError::Retry));
                }
                Command::Shutdown { done } => {
                    let _ = done.send(());
                }
                _ => {}
            }
        }
        true
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
