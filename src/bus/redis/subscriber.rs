//! The subscriber task: owns the instance's one pub/sub connection, routes
//! channel messages to the rooms' subscriptions, repairs sequence gaps from
//! the stream, and reconnects by itself, re-subscribing every active room
//! in one `SUBSCRIBE` and repairing them all at once (one `MGET` of their
//! sequences, the stream reads in parallel).
//!
//! Per room it keeps `next_expected`, the sequence of the next update it
//! should see. It is read from `GET seq` once the `SUBSCRIBE` is confirmed,
//! so nothing published afterwards can fall between the two.
//!
//! This loop serves every room of the instance, so it never waits for one:
//! a room's queue that is full drops the event and owes the room a
//! `Resync` (see [`crate::bus::queue`]), and the cold-open read of a
//! stream happens in the opening room's task.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{PubSubSink, PubSubStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, timeout};
use tokio_util::sync::CancellationToken;

use super::wire::{KIND_JOINED, KIND_LEFT, KIND_RESYNC, KIND_UPDATE, decode, event};
use super::{Backoff, Inner, backend, stream};
use crate::bus::queue::{EventSender, Sent};
use crate::bus::{BusError, BusEvent};
use crate::domain::RoomId;

/// How often a silent pub/sub connection is probed, and how long a command
/// on it may take before the connection counts as dead.
const PING_EVERY: Duration = Duration::from_secs(10);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);
/// Stream reads in flight at once while repairing after a reconnect.
const REPAIR_PARALLEL: usize = 16;
/// Sequences read per `MGET` while repairing.
const MGET_KEYS: usize = 1000;

pub(super) enum Control {
    Subscribe {
        room: RoomId,
        id: u64,
        tx: EventSender,
        /// The room's sequence when the subscription took effect.
        ack: oneshot::Sender<Result<u64, BusError>>,
    },
    Unsubscribe {
        room: RoomId,
        id: u64,
    },
}

/// Held in a [`Subscription`](crate::bus::Subscription): dropping it
/// unsubscribes.
pub(super) struct Unsubscribe {
    pub room: RoomId,
    pub id: u64,
    pub control: mpsc::UnboundedSender<Control>,
}

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        let _ = self.control.send(Control::Unsubscribe {
            room: self.room.clone(),
            id: self.id,
        });
    }
}

/// A room's repair after a reconnect: its channel, its current sequence
/// (when it could be read) and what to deliver, or why it must resync.
type Repair = (String, Option<u64>, Result<Vec<BusEvent>, String>);

struct Room {
    id: RoomId,
    /// Subscriptions to this room in this process (normally one).
    subs: Vec<(u64, EventSender)>,
    next_expected: u64,
    /// Updates below this were delivered (or replayed) in order, so a late
    /// duplicate is skipped; before the first in-order delivery it is 0 and
    /// late messages are delivered anyway (merging is idempotent).
    delivered_below: u64,
}

impl Room {
    fn deliver(&self, inner: &Inner, event: &BusEvent) {
        for (_, tx) in &self.subs {
            // A closed receiver is a subscription being dropped.
            if tx.send(event.clone()) == Sent::Overflowed {
                inner.resyncs.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(room = %self.id, "room cannot keep up with the bus; it will resync");
            }
        }
    }
}

pub(super) struct Subscriber {
    inner: Arc<Inner>,
    client: redis::Client,
    /// By channel name.
    rooms: HashMap<String, Room>,
    sink: Option<PubSubSink>,
    /// Redis's `run_id` when we last connected: a new one means a restart.
    run_id: Option<String>,
}

enum Wake {
    Control(Control),
    Message(Option<redis::Msg>),
    Ping,
    Reconnect,
}

/// Opens the first pub/sub connection, so a bus that cannot subscribe
/// fails at start-up rather than later.
pub(super) async fn start(
    inner: Arc<Inner>,
    client: redis::Client,
) -> Result<(Subscriber, PubSubStream), BusError> {
    let mut sub = Subscriber {
        inner,
        client,
        rooms: HashMap::new(),
        sink: None,
        run_id: None,
    };
    let stream = sub.connect().await?;
    sub.run_id = sub.server_run_id().await;
    Ok((sub, stream))
}

pub(super) async fn run(
    mut sub: Subscriber,
    stream: PubSubStream,
    mut control: mpsc::UnboundedReceiver<Control>,
    cancel: CancellationToken,
) {
    let mut stream = Some(stream);
    let reconnect_max = sub.inner.options.reconnect_max;
    let mut backoff = Backoff::new(reconnect_max);
    let mut retry_at = Instant::now();
    let mut ping = tokio::time::interval(PING_EVERY);
    loop {
        let wake = tokio::select! {
            _ = cancel.cancelled() => return,
            c = control.recv() => match c {
                Some(c) => Wake::Control(c),
                None => return,
            },
            m = next_message(&mut stream) => Wake::Message(m),
            _ = ping.tick(), if stream.is_some() => Wake::Ping,
            _ = tokio::time::sleep_until(retry_at), if stream.is_none() => Wake::Reconnect,
        };
        let alive = match wake {
            Wake::Control(Control::Subscribe { room, id, tx, ack }) => {
                let (result, alive) = sub.subscribe(room, id, tx).await;
                let _ = ack.send(result);
                alive
            }
            Wake::Control(Control::Unsubscribe { room, id }) => sub.unsubscribe(&room, id).await,
            Wake::Message(Some(msg)) => {
                sub.dispatch(&msg).await;
                true
            }
            Wake::Message(None) => false,
            Wake::Ping => match sub.sink.as_mut() {
                Some(sink) => matches!(
                    timeout(COMMAND_TIMEOUT, sink.ping::<redis::Value>()).await,
                    Ok(Ok(_))
                ),
                None => false,
            },
            Wake::Reconnect => match sub.connect().await {
                Ok(s) => {
                    stream = Some(s);
                    backoff = Backoff::new(reconnect_max);
                    ping.reset();
                    let started = Instant::now();
                    let rooms = sub.rooms.len();
                    sub.repair_all().await;
                    tracing::info!(rooms, took = ?started.elapsed(), "redis pub/sub reconnected; rooms repaired");
                    true
                }
                Err(e) => {
                    let delay = backoff.next_delay();
                    tracing::debug!(error = %e, ?delay, "redis pub/sub connect failed");
                    retry_at = Instant::now() + delay;
                    continue;
                }
            },
        };
        if !alive && stream.is_some() {
            tracing::warn!("redis pub/sub connection lost; reconnecting");
            stream = None;
            sub.sink = None;
            // At once: a Redis that restarted is usually back already.
            retry_at = Instant::now();
        }
    }
}

/// The next message, `None` once the connection closed; pending while
/// there is no connection.
async fn next_message(stream: &mut Option<PubSubStream>) -> Option<redis::Msg> {
    match stream {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

impl Subscriber {
    /// Opens the pub/sub connection and subscribes every active room, in
    /// one `SUBSCRIBE`.
    async fn connect(&mut self) -> Result<PubSubStream, BusError> {
        let pubsub = timeout(COMMAND_TIMEOUT, self.client.get_async_pubsub())
            .await
            .map_err(backend("redis pub/sub connect"))?
            .map_err(backend("redis pub/sub connect"))?;
        let (mut sink, stream) = pubsub.split();
        let channels: Vec<&String> = self.rooms.keys().collect();
        if !channels.is_empty() {
            timeout(COMMAND_TIMEOUT, sink.subscribe(channels))
                .await
                .map_err(backend("redis subscribe"))?
                .map_err(backend("redis subscribe"))?;
        }
        self.sink = Some(sink);
        Ok(stream)
    }

    /// Returns the outcome for the caller (the room's sequence) and whether
    /// the connection is still usable. Without a connection the room is
    /// registered anyway and subscribed (and repaired) on reconnect: only a
    /// failing `GET` fails.
    async fn subscribe(
        &mut self,
        room: RoomId,
        id: u64,
        tx: EventSender,
    ) -> (Result<u64, BusError>, bool) {
        let channel = self.inner.keys.channel(&room);
        if let Some(existing) = self.rooms.get_mut(&channel) {
            existing.subs.push((id, tx));
            return (Ok(existing.next_expected.saturating_sub(1)), true);
        }
        let mut alive = true;
        if let Some(sink) = self.sink.as_mut() {
            alive = matches!(
                timeout(COMMAND_TIMEOUT, sink.subscribe(&channel)).await,
                Ok(Ok(()))
            );
        }
        match self.current_seq(&room).await {
            Ok(seq) => {
                self.rooms.insert(
                    channel,
                    Room {
                        id: room,
                        subs: vec![(id, tx)],
                        next_expected: seq + 1,
                        delivered_below: 0,
                    },
                );
                (Ok(seq), alive)
            }
            Err(e) => {
                if alive && let Some(sink) = self.sink.as_mut() {
                    let _ = timeout(COMMAND_TIMEOUT, sink.unsubscribe(&channel)).await;
                }
                (Err(e), alive)
            }
        }
    }

    async fn unsubscribe(&mut self, room: &RoomId, id: u64) -> bool {
        let channel = self.inner.keys.channel(room);
        let Some(entry) = self.rooms.get_mut(&channel) else {
            return true;
        };
        entry.subs.retain(|(sub, _)| *sub != id);
        if !entry.subs.is_empty() {
            return true;
        }
        self.rooms.remove(&channel);
        self.inner.forget_presence(room);
        match self.sink.as_mut() {
            Some(sink) => matches!(
                timeout(COMMAND_TIMEOUT, sink.unsubscribe(&channel)).await,
                Ok(Ok(()))
            ),
            None => true,
        }
    }

    async fn dispatch(&mut self, msg: &redis::Msg) {
        let channel = msg.get_channel_name();
        let Some(wire) = decode(msg.get_payload_bytes()) else {
            tracing::warn!(channel, "malformed bus message ignored");
            return;
        };
        let own = wire.instance == self.inner.instance_id.as_bytes();
        let Some(room) = self.rooms.get(channel) else {
            return; // unsubscribed meanwhile
        };
        let inner = self.inner.clone();
        if wire.kind != KIND_UPDATE && wire.kind != KIND_RESYNC {
            if !own && let Some(event) = event(wire.kind, wire.payload) {
                if let BusEvent::Presence { total, .. } = event
                    && (wire.kind == KIND_JOINED || wire.kind == KIND_LEFT)
                {
                    inner.note_total(&room.id, total, false);
                }
                room.deliver(&inner, &event);
            }
            return;
        }
        let seq = wire.seq;
        let (next, room_id) = (room.next_expected, room.id.clone());
        if seq > next {
            // Pub/sub keeps order and the script sequences atomically, so
            // whatever lies between was published before and is lost.
            let repaired = stream::replay(&inner, &room_id, next, seq - 1).await;
            let Some(room) = self.rooms.get_mut(channel) else {
                return;
            };
            match repaired {
                Ok(missing) => {
                    inner.gaps_repaired.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(room = %room_id, missing = missing.len(), "repaired a bus gap");
                    for event in &missing {
                        room.deliver(&inner, event);
                    }
                }
                Err(why) => {
                    inner.resyncs.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(room = %room_id, %why, "bus gap beyond repair; resync");
                    room.deliver(&inner, &BusEvent::Resync);
                }
            }
        }
        let Some(room) = self.rooms.get_mut(channel) else {
            return;
        };
        let in_order = seq >= room.next_expected;
        let late_and_unknown = !in_order && seq >= room.delivered_below;
        if !own
            && (in_order || late_and_unknown)
            && let Some(event) = event(wire.kind, wire.payload)
        {
            if matches!(event, BusEvent::Resync) {
                inner.resyncs.fetch_add(1, Ordering::Relaxed);
            }
            room.deliver(&inner, &event);
        }
        if in_order {
            room.next_expected = seq + 1;
            room.delivered_below = room.next_expected;
        }
    }

    /// After a reconnect: replays what each room missed, or resyncs it. One
    /// `MGET` reads every room's sequence; the stream reads run in
    /// parallel; the rooms hear the outcome as soon as all are in.
    async fn repair_all(&mut self) {
        let run_id = self.server_run_id().await;
        let restarted = matches!((&self.run_id, &run_id), (Some(old), Some(new)) if old != new);
        if run_id.is_some() {
            self.run_id = run_id;
        }
        let rooms: Vec<(String, RoomId, u64)> = self
            .rooms
            .iter()
            .map(|(channel, room)| (channel.clone(), room.id.clone(), room.next_expected))
            .collect();
        if rooms.is_empty() {
            return;
        }
        let current = self.current_seqs(rooms.iter().map(|(_, id, _)| id)).await;
        let inner = self.inner.clone();
        let outcomes: Vec<Repair> = futures_util::stream::iter(rooms.into_iter().enumerate())
            .map(|(i, (channel, room_id, next))| {
                let known = current.as_ref().ok().map(|seqs| seqs[i]);
                let inner = inner.clone();
                async move {
                    let outcome = match known {
                        None => Err("cannot read the sequence".to_owned()),
                        // Whatever was published since the restart is
                        // in the stream; what came before is in the
                        // store (the resync).
                        Some(cur) if restarted => {
                            let mut events = vec![BusEvent::Resync];
                            if cur > 0
                                && let Ok(since) = stream::replay(&inner, &room_id, 1, cur).await
                            {
                                events.extend(since);
                            }
                            Ok(events)
                        }
                        Some(cur) if cur + 1 < next => Err("sequence went backwards".to_owned()),
                        Some(cur) if cur + 1 == next => Ok(Vec::new()),
                        Some(cur) => stream::replay(&inner, &room_id, next, cur).await,
                    };
                    (channel, known, outcome)
                }
            })
            .buffer_unordered(REPAIR_PARALLEL)
            .collect()
            .await;
        for (channel, known, outcome) in outcomes {
            let Some(room) = self.rooms.get_mut(&channel) else {
                continue;
            };
            match outcome {
                Ok(events) => {
                    let replayed = events
                        .iter()
                        .filter(|e| !matches!(e, BusEvent::Resync))
                        .count();
                    if replayed > 0 {
                        inner.gaps_repaired.fetch_add(1, Ordering::Relaxed);
                        tracing::info!(room = %room.id, replayed, "replayed after reconnect");
                    }
                    for event in &events {
                        if matches!(event, BusEvent::Resync) {
                            inner.resyncs.fetch_add(1, Ordering::Relaxed);
                        }
                        room.deliver(&inner, event);
                    }
                }
                Err(why) => {
                    inner.resyncs.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(room = %room.id, %why, "bus resync after reconnect");
                    room.deliver(&inner, &BusEvent::Resync);
                }
            }
            if let Some(cur) = known {
                room.next_expected = cur + 1;
                room.delivered_below = room.next_expected;
            }
        }
    }

    async fn current_seq(&self, room: &RoomId) -> Result<u64, BusError> {
        let mut conn = self.inner.conn().await?;
        let seq: Option<u64> = redis::cmd("GET")
            .arg(self.inner.keys.seq(room))
            .query_async(&mut conn)
            .await
            .map_err(backend("redis get seq"))?;
        Ok(seq.unwrap_or(0))
    }

    /// Every room's sequence, in order, a thousand per round trip.
    async fn current_seqs<'a>(
        &self,
        rooms: impl Iterator<Item = &'a RoomId>,
    ) -> Result<Vec<u64>, BusError> {
        let keys: Vec<String> = rooms.map(|r| self.inner.keys.seq(r)).collect();
        let mut conn = self.inner.conn().await?;
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(MGET_KEYS) {
            let seqs: Vec<Option<u64>> = redis::cmd("MGET")
                .arg(chunk)
                .query_async(&mut conn)
                .await
                .map_err(backend("redis mget seq"))?;
            out.extend(seqs.into_iter().map(|s| s.unwrap_or(0)));
        }
        Ok(out)
    }

    async fn server_run_id(&self) -> Option<String> {
        let mut conn = self.inner.conn().await.ok()?;
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query_async(&mut conn)
            .await
            .ok()?;
        info.lines()
            .find_map(|line| line.strip_prefix("run_id:"))
            .map(|id| id.trim().to_owned())
    }
}
