//! One room's actor: owns the document, its awareness and its local
//! connections; applies, relays, persists and publishes every change.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tracing::{Instrument, debug, info_span, warn};
use yrs::sync::{Awareness, AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, ReadTxn, Transact};

use super::json_sync::{EditRefused, JsonShadow};
use super::{
    CloseReason, Command, Frame, JoinError, Joined, JsonEdit, LiveSnapshot, PeerId, PeerKind,
    Shared, messages,
};
use crate::bus::{BusEvent, Outgoing, Subscription};
use crate::doc;
use crate::domain::{Language, RoomId};
use crate::store::{Batch, StoreError};

type FlushResult = (Vec<Vec<u8>>, Result<u64, StoreError>);

struct Peer {
    id: PeerId,
    kind: PeerKind,
    user_id: String,
    tx: mpsc::Sender<Frame>,
    close: Arc<OnceLock<CloseReason>>,
    /// Awareness client ids this connection announced (Yjs only).
    awareness_ids: HashSet<ClientID>,
    /// What this client last saw (JSON only).
    shadow: Option<JsonShadow>,
}

struct Room {
    id: RoomId,
    generation: u64,
    shared: Arc<Shared>,
    self_tx: mpsc::UnboundedSender<Command>,
    awareness: Awareness,
    peers: Vec<Peer>,
    next_peer: PeerId,
    /// Updates applied here and not yet in the store.
    pending: Vec<Vec<u8>>,
    flushing: bool,
    /// Counts the document's changes; sent to JSON clients so they can say
    /// which text they edited (`baseVersion`).
    version: u64,
}

pub(super) fn spawn(
    id: RoomId,
    generation: u64,
    self_tx: mpsc::UnboundedSender<Command>,
    rx: mpsc::UnboundedReceiver<Command>,
    shared: Arc<Shared>,
) {
    let span = info_span!("room", room = %id);
    tokio::spawn(run(id, generation, self_tx, rx, shared).instrument(span));
}

async fn run(
    id: RoomId,
    generation: u64,
    self_tx: mpsc::UnboundedSender<Command>,
    mut rx: mpsc::UnboundedReceiver<Command>,
    shared: Arc<Shared>,
) {
    // Subscribe first, then load: nothing published in between is missed.
    let loaded = async {
        let subscription = shared.bus.subscribe(&id).await.map_err(|e| {
            warn!(error = %e, "bus subscribe failed");
            JoinError::Unavailable
        })?;
        match shared.store.load(&id).await {
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
    .await;
    let (subscription, doc) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            // A failed load never becomes an empty document: every waiting
            // client is told, and the next join tries again.
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
    let mut room = Room {
        id,
        generation,
        shared: shared.clone(),
        self_tx,
        awareness: Awareness::new(doc),
        peers: Vec::new(),
        next_peer: 1,
        pending: Vec::new(),
        flushing: false,
        version: 0,
    };
    room.serve(rx, subscription).await;
    shared.metrics.rooms_open.dec();
}

impl Room {
    async fn serve(
        &mut self,
        mut rx: mpsc::UnboundedReceiver<Command>,
        mut subscription: Subscription,
    ) {
        let settings = self.shared.settings.clone();
        let mut tick =
            tokio::time::interval(Duration::from_millis(settings.persist.flush_interval_ms));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut flights: JoinSet<FlushResult> = JoinSet::new();
        loop {
            tokio::select! {
                command = rx.recv() => {
                    let Some(command) = command else { break };
                    if let Command::Shutdown { done } = command {
                        self.flush_all(&mut flights).await;
                        self.close_all(CloseReason::SHUTTING_DOWN);
                        self.shared.remove(&self.id, self.generation);
                        let _ = done.send(());
                        return;
                    }
                    self.handle(command, &mut flights).await;
                    if self.peers.is_empty() && rx.is_empty() && self.unload(&mut rx, &mut flights).await {
                        return;
                    }
                }
                event = subscription.events.recv() => {
                    match event {
                        Some(event) => self.on_bus(event).await,
                        None => {
                            // The bus let go of us: merge from the store so
                            // nothing is missed, and keep going.
                            warn!("bus subscription ended; resubscribing");
                            match self.shared.bus.subscribe(&self.id).await {
                                Ok(s) => subscription = s,
                                Err(e) => warn!(error = %e, "resubscribe failed"),
                            }
                            self.resync();
                        }
                    }
                }
                Some(result) = flights.join_next() => self.flushed(result),
                _ = tick.tick() => {
                    self.start_flush(&mut flights);
                    self.sweep_awareness();
                    if self.peers.is_empty() && self.unload(&mut rx, &mut flights).await {
                        return;
                    }
                }
            }
        }
    }

    async fn handle(&mut self, command: Command, flights: &mut JoinSet<FlushResult>) {
        match command {
            Command::Join { kind, reply } => self.join(kind, reply).await,
            Command::Leave { peer } => self.leave(peer).await,
            Command::Yjs { peer, message, raw } => self.on_yjs(peer, message, raw),
            Command::JsonCode { peer, edit } => self.on_json_code(peer, edit),
            Command::JsonCursor {
                peer,
                cursor,
                selection_end,
            } => self.on_json_cursor(peer, cursor, selection_end),
            Command::Merge(updates) => {
                for update in updates {
                    if let Ok(Some(effective)) = doc::apply_update(self.doc(), &update) {
                        self.broadcast_update(effective, None, None);
                    }
                }
            }
            Command::Snapshot { reply } => {
                let _ = reply.send(LiveSnapshot {
                    code: doc::text(self.doc()),
                    language: self.language(),
                });
            }
            Command::Shutdown { .. } => {}
        }
        if self.pending.len() >= 1024 {
            self.start_flush(flights);
        }
    }

    fn doc(&self) -> &yrs::Doc {
        self.awareness.doc()
    }

    fn language(&self) -> String {
        doc::language(self.doc()).unwrap_or_else(|| Language::DEFAULT.to_owned())
    }

    async fn join(&mut self, kind: PeerKind, reply: oneshot::Sender<Result<Joined, JoinError>>) {
        let limits = &self.shared.settings.limits;
        if self.peers.len() >= limits.max_conns_per_room {
            self.shared.metrics.reject("room_full");
            let _ = reply.send(Err(JoinError::Full));
            return;
        }
        let (tx, frames) = mpsc::channel(limits.send_queue);
        let id = self.next_peer;
        self.next_peer += 1;
        let user_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let count = self.set_presence(self.peers.len() + 1).await;
        let mut peer = Peer {
            id,
            kind,
            user_id: user_id.clone(),
            tx,
            close: Arc::new(OnceLock::new()),
            awareness_ids: HashSet::new(),
            shadow: None,
        };
        match kind {
            PeerKind::Yjs => {
                let sv = self.doc().transact().state_vector();
                let step1 = Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1();
                let _ = peer.tx.try_send(Frame::Binary(step1.into()));
                if let Ok(update) = self.awareness.update()
                    && !update.clients.is_empty()
                {
                    let frame = Message::Awareness(update).encode_v1();
                    let _ = peer.tx.try_send(Frame::Binary(frame.into()));
                }
            }
            PeerKind::Json => {
                let shadow = JsonShadow::fork(self.doc(), self.version);
                let init = messages::init(
                    shadow.text(),
                    &self.language(),
                    count,
                    &user_id,
                    self.version,
                );
                let _ = peer.tx.try_send(Frame::Text(init));
                peer.shadow = Some(shadow);
            }
        }
        let joined = Joined {
            peer: id,
            user_id,
            frames,
            close: peer.close.clone(),
        };
        if reply.send(Ok(joined)).is_err() {
            // The client gave up while waiting; undo the count.
            self.set_presence(self.peers.len()).await;
            return;
        }
        self.peers.push(peer);
        let notice = messages::presence(true, count);
        self.send_json_except(Some(id), &notice);
        self.shared
            .bus
            .publish(&self.id, Outgoing::Presence { joined: true });
    }

    /// Every connection sends exactly one `Leave` when it ends, also when
    /// the room let go of it first (too slow, refused edit): the count and
    /// the others' `user_left` are settled here, once, either way.
    async fn leave(&mut self, peer: PeerId) {
        if let Some(index) = self.peers.iter().position(|p| p.id == peer) {
            let gone = self.peers.swap_remove(index);
            self.forget_awareness(&gone);
        }
        let count = self.set_presence(self.peers.len()).await;
        let notice = messages::presence(false, count);
        self.send_json_except(None, &notice);
        self.shared
            .bus
            .publish(&self.id, Outgoing::Presence { joined: false });
    }

    /// Removes a closed connection's awareness states and tells everyone.
    fn forget_awareness(&mut self, gone: &Peer) {
        if gone.awareness_ids.is_empty() {
            return;
        }
        for client in &gone.awareness_ids {
            self.awareness.remove_state(*client);
        }
        if let Ok(update) = self
            .awareness
            .update_with_clients(gone.awareness_ids.iter().copied())
        {
            let frame = Bytes::from(Message::Awareness(update).encode_v1());
            self.send_yjs_except(None, &frame);
            self.shared
                .bus
                .publish(&self.id, Outgoing::Awareness(frame));
        }
    }

    async fn set_presence(&self, local: usize) -> usize {
        match self.shared.bus.set_presence(&self.id, local).await {
            Ok(total) => total.max(local),
            Err(e) => {
                warn!(error = %e, "presence update failed");
                local
            }
        }
    }

    fn on_yjs(&mut self, peer: PeerId, message: Message, raw: Bytes) {
        match message {
            Message::Sync(SyncMessage::SyncStep1(sv)) => {
                let update = self.doc().transact().encode_state_as_update_v1(&sv);
                let frame = Message::Sync(SyncMessage::SyncStep2(update)).encode_v1();
                self.send_to(peer, Frame::Binary(frame.into()));
            }
            Message::Sync(SyncMessage::SyncStep2(update))
            | Message::Sync(SyncMessage::Update(update)) => {
                self.local_update(peer, &update, None);
            }
            Message::Awareness(update) => self.on_awareness(peer, update, raw),
            Message::AwarenessQuery => {
                if let Ok(update) = self.awareness.update() {
                    let frame = Message::Awareness(update).encode_v1();
                    self.send_to(peer, Frame::Binary(frame.into()));
                }
            }
            Message::Auth(_) | Message::Custom(..) => {}
        }
    }

    fn on_awareness(&mut self, peer: PeerId, update: AwarenessUpdate, raw: Bytes) {
        let Some(p) = self.peers.iter_mut().find(|p| p.id == peer) else {
            return;
        };
        for (client, entry) in &update.clients {
            if &*entry.json == "null" {
                p.awareness_ids.remove(client);
            } else {
                p.awareness_ids.insert(*client);
            }
        }
        if self.awareness.apply_update(update).is_err() {
            return;
        }
        self.send_yjs_except(Some(peer), &raw);
        self.shared.bus.publish(&self.id, Outgoing::Awareness(raw));
    }

    /// Applies an update a local client made; returns false when refused
    /// (the client is then disconnected with the reason).
    fn local_update(&mut self, peer: PeerId, update: &[u8], cursor: Option<u32>) -> bool {
        let max_doc = self.shared.settings.limits.max_doc_bytes;
        if doc::text_len(self.doc()) as usize + update.len() > max_doc {
            self.shared.metrics.reject("document_too_large");
            self.disconnect(peer, CloseReason::TOO_BIG);
            return false;
        }
        match doc::apply_update(self.doc(), update) {
            Ok(Some(effective)) => {
                self.shared.metrics.updates.inc();
                let user = self.user_of(peer);
                self.broadcast_update(effective, Some(peer), cursor.map(|c| (c, user)));
                true
            }
            Ok(None) => true,
            Err(e) => {
                debug!(error = %e, "malformed update");
                self.shared.metrics.reject("malformed_update");
                self.disconnect(peer, CloseReason::MALFORMED);
                false
            }
        }
    }

    fn user_of(&self, peer: PeerId) -> String {
        self.peers
            .iter()
            .find(|p| p.id == peer)
            .map(|p| p.user_id.clone())
            .unwrap_or_default()
    }

    fn on_json_code(&mut self, peer: PeerId, edit: JsonEdit) {
        let JsonEdit {
            code,
            cursor,
            language,
            base_version,
        } = edit;
        if code.len() > self.shared.settings.limits.max_doc_bytes {
            self.shared.metrics.reject("document_too_large");
            self.disconnect(peer, CloseReason::TOO_BIG);
            return;
        }
        if let Some(language) = language.filter(|l| l.as_str() != self.language()) {
            let update = doc::set_language(self.doc(), language.as_str());
            self.broadcast_update(update, Some(peer), None);
        }
        let Some(p) = self.peers.iter_mut().find(|p| p.id == peer) else {
            return;
        };
        let Some(shadow) = p.shadow.as_mut() else {
            return;
        };
        match shadow.edit_to(&code, base_version) {
            Ok(Some(update)) => {
                if !self.local_update(peer, &update, cursor) {
                    return;
                }
            }
            Ok(None) => {}
            Err(EditRefused) => {
                self.shared.metrics.reject("edit_refused");
                let error = messages::error(
                    "edit_refused",
                    "the edit could not be merged; the current text follows",
                );
                self.send_to(peer, Frame::Text(error));
            }
        }
        // If others' edits were merged in, the client has not seen them:
        // send it the result, and remember it as a version it was sent.
        let merged = doc::text(self.doc());
        if merged == code {
            return;
        }
        let language = self.language();
        let doc = self.awareness.doc().clone();
        let merged: Arc<str> = merged.into();
        if let Some(shadow) = self
            .peers
            .iter_mut()
            .find(|p| p.id == peer)
            .and_then(|p| p.shadow.as_mut())
        {
            shadow.push_main(&doc, merged.clone(), self.version);
        }
        let frame = messages::code_update(&merged, &language, None, None, self.version);
        self.send_to(peer, Frame::Text(frame));
    }

    fn on_json_cursor(&mut self, peer: PeerId, cursor: u32, selection_end: Option<u32>) {
        let user = self.user_of(peer);
        let frame = messages::cursor(cursor, selection_end, &user);
        self.send_json_except(Some(peer), &frame);
        self.shared.bus.publish(&self.id, Outgoing::Cursor(frame));
    }

    /// Sends a change to every local client but its origin, queues it for
    /// the store and publishes it to the other instances. The bytes are
    /// encoded once, whatever the number of recipients.
    fn broadcast_update(
        &mut self,
        update: Vec<u8>,
        origin: Option<PeerId>,
        json_cursor: Option<(u32, String)>,
    ) {
        let update = Bytes::from(update);
        self.version += 1;
        self.pending.push(update.to_vec());
        if origin.is_some() {
            self.shared
                .bus
                .publish(&self.id, Outgoing::Update(update.clone()));
        }
        if self.peers.iter().any(|p| p.kind == PeerKind::Yjs) {
            let frame =
                Bytes::from(Message::Sync(SyncMessage::Update(update.to_vec())).encode_v1());
            self.send_yjs_except(origin, &frame);
        }
        if self
            .peers
            .iter()
            .any(|p| p.kind == PeerKind::Json && Some(p.id) != origin)
        {
            let text: Arc<str> = doc::text(self.doc()).into();
            let language = self.language();
            let (cursor, user) = match &json_cursor {
                Some((c, u)) => (Some(*c), Some(u.as_str())),
                None => (None, None),
            };
            let frame = messages::code_update(&text, &language, cursor, user, self.version);
            for p in self.peers.iter_mut() {
                if Some(p.id) == origin {
                    continue;
                }
                if let Some(shadow) = p.shadow.as_mut() {
                    shadow.push(text.clone(), update.clone(), self.version);
                }
            }
            self.send_json_except(origin, &frame);
        }
    }

    async fn on_bus(&mut self, event: BusEvent) {
        match event {
            BusEvent::Update(update) => match doc::apply_update(self.doc(), &update) {
                Ok(Some(effective)) => self.broadcast_update(effective, None, None),
                Ok(None) => {}
                Err(e) => warn!(error = %e, "undecodable update from the bus"),
            },
            BusEvent::Awareness(frame) => {
                if let Ok(Message::Awareness(update)) = Message::decode_v1(&frame)
                    && self.awareness.apply_update(update).is_ok()
                {
                    self.send_yjs_except(None, &frame);
                }
            }
            BusEvent::Cursor(frame) => self.send_json_except(None, &frame),
            BusEvent::Presence { joined } => {
                let count = match self.shared.bus.presence(&self.id).await {
                    Ok(total) => total,
                    Err(_) => self.peers.len(),
                };
                let notice = messages::presence(joined, count);
                self.send_json_except(None, &notice);
            }
            BusEvent::Resync => self.resync(),
        }
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

    fn sweep_awareness(&mut self) {
        let ttl_ms = self.shared.settings.presence.ttl_secs * 1000;
        let now = chrono::Utc::now().timestamp_millis() as u64;
        let own = self.doc().client_id();
        let stale: Vec<ClientID> = self
            .awareness
            .iter()
            .filter(|(id, state)| {
                *id != own
                    && state.data.is_some()
                    && now.saturating_sub(state.last_updated) > ttl_ms
            })
            .map(|(id, _)| id)
            .collect();
        if stale.is_empty() {
            return;
        }
        for client in &stale {
            self.awareness.remove_state(*client);
        }
        for peer in self.peers.iter_mut() {
            for client in &stale {
                peer.awareness_ids.remove(client);
            }
        }
        if let Ok(update) = self.awareness.update_with_clients(stale) {
            let frame = Bytes::from(Message::Awareness(update).encode_v1());
            self.send_yjs_except(None, &frame);
        }
    }

    fn send_to(&mut self, peer: PeerId, frame: Frame) {
        if let Some(index) = self.peers.iter().position(|p| p.id == peer)
            && !self.try_send(index, frame)
        {
            self.drop_slow(vec![index]);
        }
    }

    fn send_yjs_except(&mut self, except: Option<PeerId>, frame: &Bytes) {
        self.send_where(
            |p| p.kind == PeerKind::Yjs && Some(p.id) != except,
            || Frame::Binary(frame.clone()),
        );
    }

    fn send_json_except(&mut self, except: Option<PeerId>, frame: &Bytes) {
        self.send_where(
            |p| p.kind == PeerKind::Json && Some(p.id) != except,
            || Frame::Text(frame.clone()),
        );
    }

    fn send_where(&mut self, pick: impl Fn(&Peer) -> bool, frame: impl Fn() -> Frame) {
        let mut slow = Vec::new();
        for index in 0..self.peers.len() {
            if pick(&self.peers[index]) && !self.try_send(index, frame()) {
                slow.push(index);
            }
        }
        self.drop_slow(slow);
    }

    fn try_send(&self, index: usize, frame: Frame) -> bool {
        self.shared.metrics.frames_sent.inc();
        match self.peers[index].tx.try_send(frame) {
            Ok(()) => true,
            // A closed receiver means the socket is already going; its
            // `Leave` is on the way.
            Err(mpsc::error::TrySendError::Closed(_)) => true,
            Err(mpsc::error::TrySendError::Full(_)) => false,
        }
    }

    /// A client too slow to keep up is disconnected, never skipped: its
    /// reconnect handshake brings it up to date.
    fn drop_slow(&mut self, mut slow: Vec<usize>) {
        slow.sort_unstable_by(|a, b| b.cmp(a));
        for index in slow {
            self.shared.metrics.slow_consumers.inc();
            self.let_go(index, CloseReason::SLOW_CONSUMER);
        }
    }

    fn disconnect(&mut self, peer: PeerId, reason: CloseReason) {
        if let Some(index) = self.peers.iter().position(|p| p.id == peer) {
            self.let_go(index, reason);
        }
    }

    /// Lets go of a connection: dropping its sender ends the socket's frame
    /// stream, which then closes with `reason`; its `Leave` follows.
    fn let_go(&mut self, index: usize, reason: CloseReason) {
        let gone = self.peers.swap_remove(index);
        let _ = gone.close.set(reason);
        self.forget_awareness(&gone);
    }

    fn close_all(&mut self, reason: CloseReason) {
        for peer in self.peers.drain(..) {
            let _ = peer.close.set(reason);
        }
    }

    fn start_flush(&mut self, flights: &mut JoinSet<FlushResult>) {
        if self.flushing || self.pending.is_empty() {
            return;
        }
        self.flushing = true;
        let batch = std::mem::take(&mut self.pending);
        let code = doc::text(self.doc());
        let language = self.language();
        let store = self.shared.store.clone();
        let id = self.id.clone();
        flights.spawn(async move {
            let result = store
                .append(
                    &id,
                    Batch {
                        updates: &batch,
                        code: &code,
                        language: &language,
                    },
                )
                .await;
            (batch, result)
        });
    }

    fn flushed(&mut self, result: Result<FlushResult, tokio::task::JoinError>) {
        self.flushing = false;
        match result {
            Ok((batch, Ok(log_rows))) => {
                self.shared
                    .metrics
                    .persisted_updates
                    .inc_by(batch.len() as u64);
                if log_rows >= self.shared.settings.persist.compact_every {
                    let store = self.shared.store.clone();
                    let id = self.id.clone();
                    tokio::spawn(async move {
                        if let Err(e) = store.compact(&id).await {
                            warn!(room = %id, error = %e, "compaction failed");
                        }
                    });
                }
            }
            Ok((mut batch, Err(e))) => {
                warn!(error = %e, updates = batch.len(), "persisting failed; will retry");
                self.shared.metrics.persist_errors.inc();
                batch.append(&mut self.pending);
                self.pending = batch;
            }
            Err(e) => warn!(error = %e, "persist task failed"),
        }
    }

    /// Waits for the write in flight, then writes what is left. True when
    /// everything is stored.
    async fn flush_all(&mut self, flights: &mut JoinSet<FlushResult>) -> bool {
        for _ in 0..3 {
            while let Some(result) = flights.join_next().await {
                self.flushed(result);
            }
            if self.pending.is_empty() {
                return true;
            }
            self.start_flush(flights);
        }
        while let Some(result) = flights.join_next().await {
            self.flushed(result);
        }
        self.pending.is_empty()
    }

    /// Leaves the hub once everything is persisted. Joins that raced with
    /// the unload are told to retry, which starts a fresh actor.
    async fn unload(
        &mut self,
        rx: &mut mpsc::UnboundedReceiver<Command>,
        flights: &mut JoinSet<FlushResult>,
    ) -> bool {
        if !self.flush_all(flights).await {
            // Keep the room (and its unsaved edits) until the store is back.
            return false;
        }
        if !self.peers.is_empty() || !rx.is_empty() {
            return false;
        }
        // Connections the room let go of may not have sent their `Leave`
        // yet; it would find the room gone, so settle the count here.
        self.set_presence(0).await;
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
