//! The Redis bus: one pub/sub channel per room, with a per-room sequence
//! and stream so a subscriber notices and repairs what pub/sub dropped.
//!
//! Keys, all under `{prefix}:`: channel `room:{id}`, sequence `seq:{id}`,
//! stream `stream:{id}` (entry id `<seq>-0`, fields `i` = instance id,
//! `d` = update), presence hash `presence:{id}`.
//!
//! Three background tasks, owned by a [`TaskTracker`] and stopped by a
//! [`CancellationToken`] (cancelled on drop or by [`RedisBus::shutdown`]):
//! - the publisher drains an in-order queue: an update runs one Lua script
//!   (`INCR` the sequence, `XADD` to the stream, `PUBLISH` with that
//!   sequence), anything else a plain `PUBLISH`; failures are retried with
//!   backoff, in order, never dropped;
//! - the subscriber owns the one pub/sub connection, routes messages to the
//!   rooms, repairs sequence gaps from the stream and reconnects by itself
//!   (see `redis/subscriber.rs`);
//! - the heartbeat renews this instance's presence entries.
//!
//! Wire format of a channel message: kind byte (`U`pdate, `A`wareness,
//! `C`ursor, `P`resence joined, presence `L`eft), instance id length (one
//! byte) and bytes, sequence as u64 big-endian (0 unless an update), then
//! the payload.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use deadpool_redis::{Pool, Runtime};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Bus, BusError, BusEvent, BusStats, Outgoing, Subscription};
use crate::domain::RoomId;

mod subscriber;

/// Increments the room's sequence, appends the update to the stream and
/// publishes it with that sequence, atomically. KEYS: seq, stream, channel.
/// ARGV: header (kind + instance), payload, stream max len, instance id,
/// key ttl (s). Builds the big-endian sequence in Lua (no `struct` needed).
const PUBLISH_SCRIPT: &str = r"
local seq = redis.call('INCR', KEYS[1])
local id = string.format('%d-0', seq)
local added = redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], id, 'i', ARGV[4], 'd', ARGV[2])
if type(added) == 'table' and added.err then
  -- The stream outlived its sequence (evicted apart): start it afresh;
  -- subscribers see the hole as trimmed and resync.
  redis.call('DEL', KEYS[2])
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], id, 'i', ARGV[4], 'd', ARGV[2])
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
local be, n = '', seq
for _ = 1, 8 do
  be = string.char(n % 256) .. be
  n = math.floor(n / 256)
end
redis.call('PUBLISH', KEYS[3], ARGV[1] .. be .. ARGV[2])
return seq
";

/// Sets (count > 0) or removes (count 0) this instance's entry when ARGV[1]
/// is not empty, then sums the unexpired entries and deletes the expired
/// ones. Uses the Redis clock, so instances' clocks need not agree.
/// KEYS: presence hash. ARGV: instance id or '', count, ttl (ms).
const PRESENCE_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
if ARGV[1] ~= '' then
  if tonumber(ARGV[2]) > 0 then
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. string.format('%d', now + ttl))
    redis.call('PEXPIRE', KEYS[1], 2 * ttl)
  else
    redis.call('HDEL', KEYS[1], ARGV[1])
  end
end
local all = redis.call('HGETALL', KEYS[1])
local sum = 0
for i = 1, #all, 2 do
  local count, expires = string.match(all[i + 1], '^(%d+):(%d+)$')
  if count and tonumber(expires) > now then
    sum = sum + tonumber(count)
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return sum
";

/// Streams and sequences of rooms nobody wrote to for this long vanish.
const KEY_TTL_SECS: u64 = 7 * 24 * 3600;

pub(crate) const KIND_UPDATE: u8 = b'U';
const KIND_AWARENESS: u8 = b'A';
const KIND_CURSOR: u8 = b'C';
const KIND_JOINED: u8 = b'P';
const KIND_LEFT: u8 = b'L';

pub struct RedisBus {
    inner: Arc<Inner>,
    publish_tx: mpsc::UnboundedSender<Job>,
    control_tx: mpsc::UnboundedSender<subscriber::Control>,
    next_subscription: AtomicU64,
    cancel: CancellationToken,
    tasks: TaskTracker,
}

/// What the background tasks share with the bus.
pub(crate) struct Inner {
    pool: Pool,
    keys: Keys,
    instance_id: String,
    stream_max_len: usize,
    presence_ttl: Duration,
    publish_script: redis::Script,
    presence_script: redis::Script,
    /// This instance's connection count per room, renewed by the heartbeat.
    local_presence: Mutex<HashMap<RoomId, usize>>,
    gaps_repaired: AtomicU64,
    resyncs: AtomicU64,
}

enum Job {
    Publish(RoomId, Outgoing),
    /// Answered once everything queued before it has been published.
    Flush(oneshot::Sender<()>),
}

impl RedisBus {
    #[allow(clippy::too_many_arguments)]
    pub async fn connect(
        url: &str,
        pool_size: usize,
        prefix: String,
        stream_max_len: usize,
        presence_ttl: Duration,
        heartbeat: Duration,
        instance_id: String,
    ) -> Result<Arc<Self>, BusError> {
        if instance_id.is_empty() || instance_id.len() > usize::from(u8::MAX) {
            return Err(BusError::Backend(
                "instance id must be 1 to 255 bytes".into(),
            ));
        }
        let client = redis::Client::open(url)
            .map_err(|e| BusError::Backend(format!("invalid redis url: {e}")))?;
        let timeout = Some(Duration::from_secs(5));
        let pool = deadpool_redis::Config::from_url(url)
            .builder()
            .map_err(backend("redis pool config"))?
            .max_size(pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(timeout)
            .create_timeout(timeout)
            .recycle_timeout(timeout)
            .build()
            .map_err(backend("building the redis pool"))?;
        let inner = Arc::new(Inner {
            pool,
            keys: Keys { prefix },
            instance_id,
            stream_max_len: stream_max_len.max(1),
            presence_ttl,
            publish_script: redis::Script::new(PUBLISH_SCRIPT),
            presence_script: redis::Script::new(PRESENCE_SCRIPT),
            local_presence: Mutex::new(HashMap::new()),
            gaps_repaired: AtomicU64::new(0),
            resyncs: AtomicU64::new(0),
        });
        // Fail fast on a wrong url or a Redis that is not there.
        inner.ping().await?;
        // The publisher calls the script by its hash.
        inner
            .publish_script
            .prepare_invoke()
            .load_async(&mut inner.conn().await?)
            .await
            .map_err(backend("redis script load"))?;
        let (subscriber, messages) = subscriber::start(inner.clone(), client).await?;

        let cancel = CancellationToken::new();
        let tasks = TaskTracker::new();
        let (publish_tx, publish_rx) = mpsc::unbounded_channel();
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        tasks.spawn(publisher(inner.clone(), publish_rx, cancel.clone()));
        tasks.spawn(subscriber::run(
            subscriber,
            messages,
            control_rx,
            cancel.clone(),
        ));
        tasks.spawn(heartbeat_task(inner.clone(), heartbeat, cancel.clone()));
        tasks.close();
        Ok(Arc::new(Self {
            inner,
            publish_tx,
            control_tx,
            next_subscription: AtomicU64::new(1),
            cancel,
            tasks,
        }))
    }

    /// Sequence gaps repaired from the stream (live or after a reconnect).
    pub fn gaps_repaired(&self) -> u64 {
        self.inner.gaps_repaired.load(Ordering::Relaxed)
    }

    /// `Resync` events delivered (stream trimmed, Redis lost its data).
    pub fn resyncs(&self) -> u64 {
        self.inner.resyncs.load(Ordering::Relaxed)
    }

    pub fn instance_id(&self) -> &str {
        &self.inner.instance_id
    }

    /// Publishes what is queued (for up to `timeout`), removes this
    /// instance's presence entries and stops the background tasks.
    pub async fn shutdown(&self, timeout: Duration) {
        let (done, flushed) = oneshot::channel();
        if self.publish_tx.send(Job::Flush(done)).is_ok() {
            let _ = tokio::time::timeout(timeout, flushed).await;
        }
        self.cancel.cancel();
        let _ = tokio::time::timeout(timeout, self.tasks.wait()).await;
        let rooms: Vec<RoomId> = lock(&self.inner.local_presence)
            .drain()
            .map(|(r, _)| r)
            .collect();
        for room in rooms {
            if let Err(e) = self.inner.presence_call(&room, Some(0)).await {
                tracing::warn!(%room, error = %e, "could not remove presence at shutdown");
            }
        }
    }
}

impl Drop for RedisBus {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

#[async_trait]
impl Bus for RedisBus {
    async fn subscribe(&self, room: &RoomId) -> Result<Subscription, BusError> {
        let id = self.next_subscription.fetch_add(1, Ordering::Relaxed);
        let (tx, events) = mpsc::unbounded_channel();
        let (ack, acked) = oneshot::channel();
        let closed = || BusError::Backend("redis bus is shut down".into());
        self.control_tx
            .send(subscriber::Control::Subscribe {
                room: room.clone(),
                id,
                tx,
                ack,
            })
            .map_err(|_| closed())?;
        acked.await.map_err(|_| closed())??;
        Ok(Subscription {
            events,
            _guard: Box::new(subscriber::Unsubscribe {
                room: room.clone(),
                id,
                control: self.control_tx.clone(),
            }),
        })
    }

    fn publish(&self, room: &RoomId, message: Outgoing) {
        // Only fails once the bus is shut down, when nobody listens anyway.
        let _ = self.publish_tx.send(Job::Publish(room.clone(), message));
    }

    async fn set_presence(&self, room: &RoomId, local: usize) -> Result<usize, BusError> {
        {
            let mut presence = lock(&self.inner.local_presence);
            if local == 0 {
                presence.remove(room);
            } else {
                presence.insert(room.clone(), local);
            }
        }
        self.inner.presence_call(room, Some(local)).await
    }

    async fn presence(&self, room: &RoomId) -> Result<usize, BusError> {
        self.inner.presence_call(room, None).await
    }

    async fn ping(&self) -> Result<(), BusError> {
        self.inner.ping().await
    }

    fn stats(&self) -> BusStats {
        BusStats {
            gaps_repaired: self.gaps_repaired(),
            resyncs: self.resyncs(),
        }
    }

    async fn shutdown(&self, timeout: Duration) {
        RedisBus::shutdown(self, timeout).await;
    }
}

impl Inner {
    async fn conn(&self) -> Result<deadpool_redis::Connection, BusError> {
        self.pool.get().await.map_err(backend("redis connection"))
    }

    async fn ping(&self) -> Result<(), BusError> {
        let mut conn = self.conn().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(drop)
            .map_err(backend("redis ping"))
    }

    /// Runs the presence script: sets this instance's count when `local`
    /// is given, and returns the room's live total.
    async fn presence_call(&self, room: &RoomId, local: Option<usize>) -> Result<usize, BusError> {
        let mut conn = self.conn().await?;
        let ttl_ms = u64::try_from(self.presence_ttl.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let (instance, count) = match local {
            Some(n) => (self.instance_id.as_str(), n),
            None => ("", 0),
        };
        self.presence_script
            .key(self.keys.presence(room))
            .arg(instance)
            .arg(count)
            .arg(ttl_ms)
            .invoke_async::<usize>(&mut conn)
            .await
            .map_err(backend("redis presence"))
    }

    /// Publishes several messages in one pipeline: updates through the
    /// sequencing script (by its hash, loading it first if Redis lost it).
    async fn send_batch(&self, batch: &[(RoomId, Outgoing)]) -> Result<(), BusError> {
        let mut conn = self.conn().await?;
        let mut pipe = redis::pipe();
        for (room, message) in batch {
            let channel = self.keys.channel(room);
            let (kind, payload) = match message {
                Outgoing::Update(b) => (KIND_UPDATE, b.as_ref()),
                Outgoing::Awareness(b) => (KIND_AWARENESS, b.as_ref()),
                Outgoing::Cursor(b) => (KIND_CURSOR, b.as_ref()),
                Outgoing::Presence { joined: true } => (KIND_JOINED, &[][..]),
                Outgoing::Presence { joined: false } => (KIND_LEFT, &[][..]),
            };
            if kind == KIND_UPDATE {
                pipe.cmd("EVALSHA")
                    .arg(self.publish_script.get_hash())
                    .arg(3)
                    .arg(self.keys.seq(room))
                    .arg(self.keys.stream(room))
                    .arg(&channel)
                    .arg(header(KIND_UPDATE, &self.instance_id))
                    .arg(payload)
                    .arg(self.stream_max_len)
                    .arg(&self.instance_id)
                    .arg(KEY_TTL_SECS)
                    .ignore();
            } else {
                pipe.cmd("PUBLISH")
                    .arg(channel)
                    .arg(encode(kind, &self.instance_id, 0, payload))
                    .ignore();
            }
        }
        match pipe.query_async::<()>(&mut conn).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                self.publish_script
                    .prepare_invoke()
                    .load_async(&mut conn)
                    .await
                    .map_err(backend("redis script load"))?;
                Err(BusError::Backend(
                    "publish script was not loaded; loaded it".into(),
                ))
            }
            Err(e) => Err(backend("redis publish batch")(e)),
        }
    }
}

/// Most messages sent to Redis in one pipelined round trip.
const PUBLISH_BATCH: usize = 256;

/// Drains the publish queue in order, whatever is queued at once going out
/// as one pipeline (one round trip, not one per update); a failed batch is
/// retried (with backoff) before anything after it, so peers see our
/// updates in order. A retried batch may publish some messages twice,
/// which merging ignores.
async fn publisher(
    inner: Arc<Inner>,
    mut queue: mpsc::UnboundedReceiver<Job>,
    cancel: CancellationToken,
) {
    let mut batch: Vec<(RoomId, Outgoing)> = Vec::with_capacity(PUBLISH_BATCH);
    let mut flushes = Vec::new();
    loop {
        let first = tokio::select! {
            _ = cancel.cancelled() => return,
            job = queue.recv() => match job {
                Some(job) => job,
                None => return,
            },
        };
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Publish(room, message) => batch.push((room, message)),
                Job::Flush(done) => flushes.push(done),
            }
            if batch.len() < PUBLISH_BATCH {
                next = queue.try_recv().ok();
            }
        }
        let mut backoff = Backoff::default();
        while !batch.is_empty() {
            match inner.send_batch(&batch).await {
                Ok(()) => batch.clear(),
                Err(e) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(messages = batch.len(), error = %e, ?delay, "publish failed; retrying");
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Renews this instance's presence entries before they expire.
async fn heartbeat_task(inner: Arc<Inner>, every: Duration, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let rooms: Vec<(RoomId, usize)> = lock(&inner.local_presence)
            .iter()
            .map(|(room, n)| (room.clone(), *n))
            .collect();
        for (room, count) in rooms {
            if let Err(e) = inner.presence_call(&room, Some(count)).await {
                tracing::warn!(%room, error = %e, "presence heartbeat failed");
            }
        }
    }
}

struct Keys {
    prefix: String,
}

impl Keys {
    fn channel(&self, room: &RoomId) -> String {
        format!("{}:room:{room}", self.prefix)
    }
    fn seq(&self, room: &RoomId) -> String {
        format!("{}:seq:{room}", self.prefix)
    }
    fn stream(&self, room: &RoomId) -> String {
        format!("{}:stream:{room}", self.prefix)
    }
    fn presence(&self, room: &RoomId) -> String {
        format!("{}:presence:{room}", self.prefix)
    }
}

/// Kind byte and length-prefixed instance id: what precedes the sequence.
fn header(kind: u8, instance: &str) -> Vec<u8> {
    let id = instance.as_bytes();
    let mut out = Vec::with_capacity(2 + id.len() + 8);
    out.push(kind);
    out.push(u8::try_from(id.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(&id[..id.len().min(usize::from(u8::MAX))]);
    out
}

pub(crate) fn encode(kind: u8, instance: &str, seq: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = header(kind, instance);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// A channel message, parsed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Wire<'a> {
    pub kind: u8,
    pub instance: &'a [u8],
    pub seq: u64,
    pub payload: &'a [u8],
}

pub(crate) fn decode(bytes: &[u8]) -> Option<Wire<'_>> {
    let (&kind, rest) = bytes.split_first()?;
    let (&len, rest) = rest.split_first()?;
    let (instance, rest) = rest.split_at_checked(usize::from(len))?;
    let (seq, payload) = rest.split_at_checked(8)?;
    Some(Wire {
        kind,
        instance,
        seq: u64::from_be_bytes(seq.try_into().ok()?),
        payload,
    })
}

/// The event a non-update message becomes on the receiving side.
fn event(kind: u8, payload: &[u8]) -> Option<BusEvent> {
    let payload = Bytes::copy_from_slice(payload);
    Some(match kind {
        KIND_UPDATE => BusEvent::Update(payload),
        KIND_AWARENESS => BusEvent::Awareness(payload),
        KIND_CURSOR => BusEvent::Cursor(payload),
        KIND_JOINED => BusEvent::Presence { joined: true },
        KIND_LEFT => BusEvent::Presence { joined: false },
        _ => return None,
    })
}

/// Exponential backoff with jitter: 100 ms doubling up to 5 s.
#[derive(Default)]
struct Backoff {
    attempt: u32,
}

impl Backoff {
    fn next_delay(&mut self) -> Duration {
        let base = 100u64.saturating_mul(1 << self.attempt.min(6)).min(5_000);
        self.attempt = self.attempt.saturating_add(1);
        let jitter = rand::random_range(0..=base / 4);
        Duration::from_millis(base + jitter)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn backend<E: std::fmt::Display>(context: &str) -> impl Fn(E) -> BusError + '_ {
    move |e| BusError::Backend(format!("{context}: {e}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
