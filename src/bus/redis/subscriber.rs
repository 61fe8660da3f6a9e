//! The subscriber task: owns the instance's one pub/sub connection, routes
//! channel messages to the rooms' subscriptions, repairs sequence gaps from
//! the stream, and reconnects by itself (with backoff), re-subscribing every
//! active room and replaying what it missed meanwhile.
//!
//! Per room it keeps `next_expected`, the sequence of the next update it
//! should see. It is read from `GET seq` once the `SUBSCRIBE` is confirmed,
//! so nothing published afterwards can fall between the two.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{PubSubSink, PubSubStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, timeout};
use tokio_util::sync::CancellationToken;

use super::{Backoff, Inner, KIND_UPDATE, backend, decode, event};
use crate::bus::{BusError, BusEvent};
use crate::domain::RoomId;

/// How often a silent pub/sub connection is probed, and how long a command
/// on it may take before the connection counts as dead.
const PING_EVERY: Duration = Duration::from_secs(10);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) enum Control {
    Subscribe {
        room: RoomId,
        id: u64,
        tx: mpsc::UnboundedSender<BusEvent>,
        ack: oneshot::Sender<Result<(), BusError>>,
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

struct Room {
    id: RoomId,
    /// Subscriptions to this room in this process (normally one).
    subs: Vec<(u64, mpsc::UnboundedSender<BusEvent>)>,
    next_expected: u64,
    /// Updates below this were delivered (or replayed) in order, so a late
    /// duplicate is skipped; before the first in-order delivery it is 0 and
    /// late messages are delivered anyway (merging is idempotent).
    delivered_below: u64,
}

impl Room {
    fn deliver(&self, event: &BusEvent) {
        for (_, tx) in &self.subs {
            // A closed receiver is a subscription being dropped.
            let _ = tx.send(event.clone());
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
    let mut backoff = Backoff::default();
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
                    backoff = Backoff::default();
                    ping.reset();
                    sub.repair_all().await;
                    true
                }
                Err(e) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %e, ?delay, "redis pub/sub connect failed");
                    retry_at = Instant::now() + delay;
                    continue;
                }
            },
        };
        if !alive && stream.is_some() {
            tracing::warn!("redis pub/sub connection lost; reconnecting");
            stream = None;
            sub.sink = None;
            retry_at = Instant::now() + backoff.next_delay();
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
    /// Opens the pub/sub connection and subscribes every active room.
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

    /// Returns the outcome for the caller and whether the connection is
    /// still usable. Without a connection the room is registered anyway and
    /// subscribed (and repaired) on reconnect: only a failing `GET` fails.
    async fn subscribe(
        &mut self,
        room: RoomId,
        id: u64,
        tx: mpsc::UnboundedSender<BusEvent>,
    ) -> (Result<(), BusError>, bool) {
        let channel = self.inner.keys.channel(&room);
        if let Some(existing) = self.rooms.get_mut(&channel) {
            existing.subs.push((id, tx));
            return (Ok(()), true);
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
                // The stream tail is the cache of what Postgres may not hold
                // yet (other instances flush in batches): hand it to the
                // room, which merges it after loading from the store.
                match self.tail(&room, seq).await {
                    Ok(tail) => {
                        for update in tail {
                            let _ = tx.send(BusEvent::Update(update));
                        }
                    }
                    Err(why) => {
                        tracing::warn!(%room, %why, "cannot read the stream tail");
                        if alive && let Some(sink) = self.sink.as_mut() {
                            let _ = timeout(COMMAND_TIMEOUT, sink.unsubscribe(&channel)).await;
                        }
                        return (Err(BusError::Backend(why)), alive);
                    }
                }
                self.rooms.insert(
                    channel,
                    Room {
                        id: room,
                        subs: vec![(id, tx)],
                        next_expected: seq + 1,
                        delivered_below: 0,
                    },
                );
                (Ok(()), alive)
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
        if wire.kind != KIND_UPDATE {
            if !own && let Some(event) = event(wire.kind, wire.payload) {
                room.deliver(&event);
            }
            return;
        }
        let seq = wire.seq;
        let (next, room_id) = (room.next_expected, room.id.clone());
        if seq > next {
            // Pub/sub keeps order and the script sequences atomically, so
            // whatever lies between was published before and is lost.
            let repaired = self.replay(&room_id, next, seq - 1).await;
            let Some(room) = self.rooms.get_mut(channel) else {
                return;
            };
            match repaired {
                Ok(missing) => {
                    self.inner.gaps_repaired.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(room = %room_id, missing = missing.len(), "repaired a bus gap");
                    for update in missing {
                        room.deliver(&BusEvent::Update(update));
                    }
                }
                Err(why) => {
                    self.inner.resyncs.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(room = %room_id, %why, "bus gap beyond repair; resync");
                    room.deliver(&BusEvent::Resync);
                }
            }
        }
        let Some(room) = self.rooms.get_mut(channel) else {
            return;
        };
        let in_order = seq >= room.next_expected;
        let late_and_unknown = !in_order && seq >= room.delivered_below;
        if !own && (in_order || late_and_unknown) {
            room.deliver(&BusEvent::Update(bytes::Bytes::copy_from_slice(
                wire.payload,
            )));
        }
        if in_order {
            room.next_expected = seq + 1;
            room.delivered_below = room.next_expected;
        }
    }

    /// After a reconnect: replays what each room missed, or resyncs it.
    async fn repair_all(&mut self) {
        let run_id = self.server_run_id().await;
        let restarted = matches!((&self.run_id, &run_id), (Some(old), Some(new)) if old != new);
        if run_id.is_some() {
            self.run_id = run_id;
        }
        let channels: Vec<String> = self.rooms.keys().cloned().collect();
        for channel in channels {
            let Some(room) = self.rooms.get(&channel) else {
                continue;
            };
            let (room_id, next) = (room.id.clone(), room.next_expected);
            let current = self.current_seq(&room_id).await;
            let known = current.as_ref().ok().copied();
            let outcome = match current {
                Err(e) => Err(e.to_string()),
                Ok(_) if restarted => Err("redis restarted".to_owned()),
                Ok(cur) if cur + 1 < next => Err("sequence went backwards".to_owned()),
                Ok(cur) if cur + 1 == next => Ok(Vec::new()),
                Ok(cur) => self.replay(&room_id, next, cur).await,
            };
            let Some(room) = self.rooms.get_mut(&channel) else {
                continue;
            };
            match outcome {
                Ok(missing) => {
                    if !missing.is_empty() {
                        self.inner.gaps_repaired.fetch_add(1, Ordering::Relaxed);
                        tracing::info!(room = %room_id, missing = missing.len(), "replayed after reconnect");
                    }
                    for update in missing {
                        room.deliver(&BusEvent::Update(update));
                    }
                }
                Err(why) => {
                    self.inner.resyncs.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(room = %room_id, %why, "bus resync after reconnect");
                    room.deliver(&BusEvent::Resync);
                }
            }
            if let Some(cur) = known {
                room.next_expected = cur + 1;
                room.delivered_below = room.next_expected;
            }
        }
    }

    /// The updates with sequence `from..=to` that other instances
    /// published, from the stream; `Err` when the stream no longer holds
    /// all of them (trimmed, or lost with a Redis restart).
    async fn replay(&self, room: &RoomId, from: u64, to: u64) -> Result<Vec<bytes::Bytes>, String> {
        let mut conn = self.inner.conn().await.map_err(|e| e.to_string())?;
        let entries: Vec<(String, Vec<Vec<u8>>)> = redis::cmd("XRANGE")
            .arg(self.inner.keys.stream(room))
            .arg(format!("{from}-0"))
            .arg(format!("{to}-0"))
            .query_async(&mut conn)
            .await
            .map_err(|e| format!("reading the stream: {e}"))?;
        let expected = usize::try_from(to - from + 1).unwrap_or(usize::MAX);
        let first = entries.first().map(|(id, _)| id.as_str());
        if entries.len() != expected || first != Some(format!("{from}-0").as_str()) {
            return Err(format!(
                "stream holds {} of {expected} updates from {from}",
                entries.len()
            ));
        }
        let own = self.inner.instance_id.as_bytes();
        let mut missing = Vec::new();
        for (_, fields) in entries {
            let mut instance: &[u8] = &[];
            let mut data = None;
            for pair in fields.chunks_exact(2) {
                match pair[0].as_slice() {
                    b"i" => instance = &pair[1],
                    b"d" => data = Some(&pair[1]),
                    _ => {}
                }
            }
            if let Some(data) = data
                && instance != own
            {
                missing.push(bytes::Bytes::copy_from_slice(data));
            }
        }
        Ok(missing)
    }

    /// Every update the stream still holds up to sequence `to`, whoever
    /// published it.
    async fn tail(&self, room: &RoomId, to: u64) -> Result<Vec<bytes::Bytes>, String> {
        if to == 0 {
            return Ok(Vec::new());
        }
        let mut conn = self.inner.conn().await.map_err(|e| e.to_string())?;
        let entries: Vec<(String, Vec<Vec<u8>>)> = redis::cmd("XRANGE")
            .arg(self.inner.keys.stream(room))
            .arg("-")
            .arg(format!("{to}-0"))
            .query_async(&mut conn)
            .await
            .map_err(|e| format!("reading the stream: {e}"))?;
        Ok(entries
            .into_iter()
            .filter_map(|(_, fields)| {
                fields
                    .chunks_exact(2)
                    .find(|pair| pair[0].as_slice() == b"d")
                    .map(|pair| bytes::Bytes::copy_from_slice(&pair[1]))
            })
            .collect())
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
