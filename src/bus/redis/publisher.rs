//! The publish side: a queue bounded in bytes for all rooms together, a
//! task that drains it in pipelined batches, and the presence heartbeat.
//!
//! Policy when the queue is full: awareness and cursors are shed first
//! (past half the budget), updates and presence past the whole budget. A
//! room that loses an update, or whose update Redis refuses (out of
//! memory, any error reply), owes its peers a resync marker: a sequenced
//! `R` message, retried with the next batches until Redis takes it, after
//! which the peers re-merge the room from the store (where the update is:
//! persistence does not go through the bus). Each message is tried once
//! for a reply; only a Redis that does not answer at all holds the batch
//! back (retried every `reconnect_max` at most, while the queue's bound
//! sheds what keeps coming). So one room's refusals never freeze another's.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use redis::{ErrorKind, ServerErrorKind, Value};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::wire::{
    KIND_AWARENESS, KIND_CURSOR, KIND_JOINED, KIND_LEFT, KIND_RESYNC, KIND_UPDATE, author_bytes,
    encode, header,
};
use super::{Backoff, BusError, Inner, KEY_TTL_SECS, backend, lock};
use crate::bus::Outgoing;
use crate::bus::queue::ITEM_OVERHEAD;
use crate::domain::RoomId;

/// Most messages, and bytes, sent to Redis in one pipelined round trip.
const BATCH_MESSAGES: usize = 256;
const BATCH_BYTES: usize = 1 << 20;

pub(super) enum Job {
    Publish(RoomId, Outgoing, usize),
    /// Answered once everything queued before it has been handled.
    Flush(oneshot::Sender<()>),
}

fn cost(message: &Outgoing) -> usize {
    let len = match message {
        Outgoing::Update { update, author } => {
            update.len() + author.as_ref().map_or(0, String::len)
        }
        Outgoing::Awareness(b) | Outgoing::Cursor(b) => b.len(),
        Outgoing::Presence { .. } => 0,
    };
    len + ITEM_OVERHEAD
}

/// Queues a message unless the byte budget says no (see the module doc).
pub(super) fn enqueue(
    inner: &Inner,
    tx: &mpsc::UnboundedSender<Job>,
    room: &RoomId,
    message: Outgoing,
) {
    let cost = cost(&message);
    let budget = inner.options.publish_queue_bytes;
    let limit = match message {
        Outgoing::Awareness(_) | Outgoing::Cursor(_) => budget / 2,
        Outgoing::Update { .. } | Outgoing::Presence { .. } => budget,
    };
    let queued = inner.publish_queued.load(Ordering::Acquire);
    if queued + cost > limit {
        inner.publish_dropped.fetch_add(1, Ordering::Relaxed);
        if matches!(message, Outgoing::Update { .. })
            && lock(&inner.owed_resync).insert(room.clone())
        {
            tracing::warn!(%room, queued, "publish queue full: update dropped, peers will resync");
        }
        return;
    }
    inner.publish_queued.fetch_add(cost, Ordering::AcqRel);
    if tx.send(Job::Publish(room.clone(), message, cost)).is_err() {
        // The bus is shut down; nobody listens any more.
        inner.publish_queued.fetch_sub(cost, Ordering::AcqRel);
    }
}

/// One command of a batch.
#[derive(Clone, Copy)]
enum Item<'a> {
    Marker(&'a RoomId),
    Message(&'a RoomId, &'a Outgoing),
}

impl Item<'_> {
    fn room(&self) -> &RoomId {
        match self {
            Self::Marker(room) | Self::Message(room, _) => room,
        }
    }
    /// Losing it costs the room's peers a resync.
    fn sequenced(&self) -> bool {
        matches!(
            self,
            Self::Marker(_) | Self::Message(_, Outgoing::Update { .. })
        )
    }
}

pub(super) async fn run(
    inner: Arc<Inner>,
    mut queue: mpsc::UnboundedReceiver<Job>,
    cancel: CancellationToken,
) {
    let mut batch: Vec<(RoomId, Outgoing, usize)> = Vec::with_capacity(BATCH_MESSAGES);
    let mut flushes = Vec::new();
    // Held across batches: taking one from the pool costs a round trip
    // (deadpool checks it with UNWATCH + PING), as much as the batch.
    let mut conn = None;
    loop {
        // Owed markers go out with the next batch, or on their own after
        // a short wait: a room that went quiet must still be repaired.
        let owed = !lock(&inner.owed_resync).is_empty();
        let first = tokio::select! {
            _ = cancel.cancelled() => return,
            job = queue.recv() => match job {
                Some(job) => Some(job),
                None => return,
            },
            _ = tokio::time::sleep(inner.options.reconnect_max), if owed => None,
        };
        let mut bytes = 0;
        let mut next = first;
        while let Some(job) = next.take() {
            match job {
                Job::Publish(room, message, cost) => {
                    bytes += cost;
                    batch.push((room, message, cost));
                }
                Job::Flush(done) => flushes.push(done),
            }
            if batch.len() < BATCH_MESSAGES && bytes < BATCH_BYTES {
                next = queue.try_recv().ok();
            }
        }
        let markers: Vec<RoomId> = lock(&inner.owed_resync).drain().collect();
        let mut items: Vec<Item<'_>> = markers.iter().map(Item::Marker).collect();
        items.extend(batch.iter().map(|(room, m, _)| Item::Message(room, m)));
        let mut backoff = Backoff::new(inner.options.reconnect_max);
        // (An empty pipeline would wait for a reply that never comes.)
        while !items.is_empty() {
            match send(&inner, &mut conn, &items).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(messages = items.len(), error = %e, "redis does not answer; publishing again once it does");
                    // Probe with a PING before sending the batch again: a
                    // batch written to a Redis that does not read stays
                    // buffered with its connection, so resending it blindly
                    // would pile up copies for as long as Redis is away.
                    loop {
                        let delay = backoff.next_delay();
                        tokio::select! {
                            _ = cancel.cancelled() => return,
                            _ = tokio::time::sleep(delay) => {}
                        }
                        if inner.ping().await.is_ok() {
                            break;
                        }
                    }
                }
            }
        }
        drop(items);
        let sent: usize = batch.drain(..).map(|(_, _, cost)| cost).sum();
        inner.publish_queued.fetch_sub(sent, Ordering::AcqRel);
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Sends a batch; `Err` only when Redis did not answer (the caller tries
/// again). Refused commands are settled here: a missing script is loaded
/// and its commands sent once more, anything else is dropped (sequenced
/// ones making the room owe a resync).
async fn send(
    inner: &Inner,
    conn: &mut Option<deadpool_redis::Connection>,
    items: &[Item<'_>],
) -> Result<(), BusError> {
    let results = pipeline(inner, conn, items).await?;
    let mut again = Vec::new();
    for (item, result) in items.iter().zip(results) {
        match result {
            Ok(value) => answered(inner, item, &value),
            Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                again.push(item);
            }
            Err(e) => refused(inner, item, &e),
        }
    }
    if again.is_empty() {
        return Ok(());
    }
    inner.load_scripts().await?;
    let retry: Vec<Item<'_>> = again.into_iter().copied().collect();
    let results = pipeline(inner, conn, &retry).await?;
    for (item, result) in retry.iter().zip(results) {
        match result {
            Ok(value) => answered(inner, item, &value),
            Err(e) => refused(inner, item, &e),
        }
    }
    Ok(())
}

fn answered(inner: &Inner, item: &Item<'_>, value: &Value) {
    if let Item::Message(room, Outgoing::Presence { .. }) = item
        && let Ok(total) = <usize as redis::FromRedisValue>::from_redis_value_ref(value)
    {
        inner.note_total(room, total, false);
    }
}

fn refused(inner: &Inner, item: &Item<'_>, error: &redis::RedisError) {
    inner.publish_dropped.fetch_add(1, Ordering::Relaxed);
    let room = item.room();
    if item.sequenced() {
        if lock(&inner.owed_resync).insert(room.clone()) {
            tracing::warn!(%room, %error, "redis refused an update; the room's peers will resync");
        }
    } else {
        tracing::debug!(%room, %error, "redis refused a message; dropped");
    }
}

/// One pipelined round trip, every command's reply kept apart, on the
/// held connection (taken from the pool when there is none; let go of
/// when Redis does not answer on it).
async fn pipeline(
    inner: &Inner,
    held: &mut Option<deadpool_redis::Connection>,
    items: &[Item<'_>],
) -> Result<Vec<redis::RedisResult<Value>>, BusError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = match held.take() {
        Some(conn) => conn,
        None => inner.conn().await?,
    };
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    let instance = inner.instance_id.as_str();
    for item in items {
        let room = item.room();
        let channel = inner.keys.channel(room);
        let (kind, update, author): (u8, &[u8], &[u8]) = match item {
            Item::Marker(_) => (KIND_RESYNC, &[], &[]),
            Item::Message(_, Outgoing::Update { update, author }) => {
                (KIND_UPDATE, update, author_bytes(author.as_deref()))
            }
            Item::Message(_, Outgoing::Presence { joined }) => {
                let kind = if *joined { KIND_JOINED } else { KIND_LEFT };
                pipe.cmd("EVALSHA")
                    .arg(inner.presence_script.get_hash())
                    .arg(2)
                    .arg(inner.keys.presence(room))
                    .arg(&channel)
                    .arg(instance)
                    .arg(inner.local_count(room))
                    .arg(inner.presence_ttl_ms())
                    .arg(header(kind, instance));
                continue;
            }
            Item::Message(_, Outgoing::Awareness(b)) => {
                pipe.cmd("PUBLISH")
                    .arg(channel)
                    .arg(encode(KIND_AWARENESS, instance, 0, b));
                continue;
            }
            Item::Message(_, Outgoing::Cursor(b)) => {
                pipe.cmd("PUBLISH")
                    .arg(channel)
                    .arg(encode(KIND_CURSOR, instance, 0, b));
                continue;
            }
        };
        pipe.cmd("EVALSHA")
            .arg(inner.publish_script.get_hash())
            .arg(4)
            .arg(inner.keys.seq(room))
            .arg(inner.keys.stream(room))
            .arg(inner.keys.stream_bytes(room))
            .arg(&channel)
            .arg(header(kind, instance))
            .arg(update)
            .arg(inner.options.stream_max_bytes)
            .arg(instance)
            .arg(KEY_TTL_SECS)
            .arg(author)
            .arg(if kind == KIND_RESYNC { "1" } else { "0" });
    }
    let results = pipe
        .query_async(&mut conn)
        .await
        .map_err(backend("redis publish batch"))?;
    *held = Some(conn);
    Ok(results)
}

/// Renews this instance's presence entries before they expire, and
/// withdraws those of rooms whose count went to zero as soon as it did.
pub(super) async fn heartbeat(inner: Arc<Inner>, cancel: CancellationToken) {
    let every = inner
        .options
        .heartbeat
        .max(std::time::Duration::from_millis(10));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let renew = tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => true,
            _ = inner.presence_changed.notified() => false,
        };
        let withdrawn: Vec<RoomId> = {
            // Lock order everywhere: presence, then withdrawn.
            let presence = lock(&inner.presence);
            let mut withdrawn = lock(&inner.withdrawn);
            // A room that came back meanwhile is renewed, not withdrawn.
            withdrawn
                .drain()
                .filter(|room| presence.get(room).is_none_or(|p| p.local == 0))
                .collect()
        };
        let renewed: Vec<(RoomId, usize)> = if renew {
            lock(&inner.presence)
                .iter()
                .filter(|(_, p)| p.local > 0)
                .map(|(room, p)| (room.clone(), p.local))
                .collect()
        } else {
            Vec::new()
        };
        if withdrawn.is_empty() && renewed.is_empty() {
            continue;
        }
        let calls: Vec<(&RoomId, usize)> = withdrawn
            .iter()
            .map(|room| (room, 0))
            .chain(renewed.iter().map(|(room, n)| (room, *n)))
            .collect();
        match presence_batch(&inner, &calls).await {
            Ok(totals) => {
                for ((room, _), total) in calls.iter().zip(totals) {
                    if let Ok(total) = total {
                        inner.note_total(room, total, false);
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "presence heartbeat failed");
                // Withdraw them next time (unless they came back meanwhile).
                let presence = lock(&inner.presence);
                let mut again = lock(&inner.withdrawn);
                for room in withdrawn {
                    if !presence.contains_key(&room) {
                        again.insert(room);
                    }
                }
            }
        }
    }
}

async fn presence_batch(
    inner: &Inner,
    calls: &[(&RoomId, usize)],
) -> Result<Vec<redis::RedisResult<usize>>, BusError> {
    let mut conn = inner.conn().await?;
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    for (room, count) in calls {
        pipe.cmd("EVALSHA")
            .arg(inner.presence_script.get_hash())
            .arg(2)
            .arg(inner.keys.presence(room))
            .arg(inner.keys.channel(room))
            .arg(&inner.instance_id)
            .arg(*count)
            .arg(inner.presence_ttl_ms())
            .arg("");
    }
    let results: Vec<redis::RedisResult<usize>> = pipe
        .query_async(&mut conn)
        .await
        .map_err(backend("redis presence heartbeat"))?;
    if results.iter().any(|r| {
        r.as_ref()
            .is_err_and(|e| e.kind() == ErrorKind::Server(ServerErrorKind::NoScript))
    }) {
        inner.load_scripts().await?;
        return Err(BusError::Backend(
            "presence script was not loaded; loaded it".into(),
        ));
    }
    Ok(results)
}
