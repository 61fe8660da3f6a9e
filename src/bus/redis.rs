//! The Redis bus: one pub/sub channel per room, with a per-room sequence
//! and a byte-bounded stream so a subscriber notices and repairs what
//! pub/sub dropped.
//!
//! Keys, all under `{prefix}:`: channel `room:{id}`, sequence `seq:{id}`,
//! stream `stream:{id}` with its byte count `sbytes:{id}`, presence hash
//! `presence:{id}`. The message format is in `redis/wire.rs`, the Lua
//! scripts in `redis/scripts.rs`.
//!
//! Three background tasks, owned by a [`TaskTracker`] and stopped by a
//! [`CancellationToken`] (cancelled on drop or by [`RedisBus::shutdown`]):
//! - the publisher drains a queue bounded in bytes (`redis/publisher.rs`):
//!   a room whose messages Redis refuses, or the full queue cannot take,
//!   loses them and owes its peers a resync marker, without holding up
//!   any other room;
//! - the subscriber owns the one pub/sub connection, routes messages to
//!   the rooms' bounded queues, repairs sequence gaps from the stream and
//!   reconnects at once (`redis/subscriber.rs`);
//! - the heartbeat renews this instance's presence entries and withdraws
//!   the ones of rooms it let go of.
//!
//! The room actor never waits on Redis once its room is open: publishing
//! queues, presence is recorded locally, and the cold-open read of the
//! stream tail happens in the opening room's task, page by page.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_redis::{Pool, Runtime};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Bus, BusError, BusStats, Outgoing, Subscription, queue};
use crate::domain::RoomId;
use crate::settings::Settings;

mod publisher;
mod scripts;
mod stream;
mod subscriber;
mod wire;

/// Streams and sequences of rooms nobody wrote to for this long vanish.
const KEY_TTL_SECS: u64 = 7 * 24 * 3600;

/// How the bus is sized; every bound comes from the settings.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    pub url: String,
    pub pool_size: usize,
    pub prefix: String,
    pub instance_id: String,
    /// Bytes each room's stream keeps (updates, authors, 64 per entry).
    pub stream_max_bytes: usize,
    /// Entries read per `XRANGE` when reading a stream back.
    pub stream_page: usize,
    /// Events and bytes one room's subscription may hold.
    pub subscription_queue: usize,
    pub subscription_queue_bytes: usize,
    /// Bytes waiting to be published, all rooms together.
    pub publish_queue_bytes: usize,
    /// Longest pause between reconnect or publish attempts while Redis
    /// does not answer.
    pub reconnect_max: Duration,
    pub presence_ttl: Duration,
    pub heartbeat: Duration,
}

impl RedisOptions {
    pub fn from_settings(url: &str, settings: &Settings, instance_id: String) -> Self {
        let r = &settings.redis;
        Self {
            url: url.to_owned(),
            pool_size: r.pool_size,
            prefix: r.prefix.clone(),
            instance_id,
            stream_max_bytes: r.stream_max_bytes,
            stream_page: r.stream_page_entries,
            subscription_queue: r.subscription_queue,
            subscription_queue_bytes: r.subscription_queue_bytes,
            publish_queue_bytes: r.publish_queue_bytes,
            reconnect_max: Duration::from_millis(r.reconnect_max_ms),
            presence_ttl: Duration::from_secs(settings.presence.ttl_secs),
            heartbeat: Duration::from_secs(settings.presence.heartbeat_secs),
        }
    }
}

pub struct RedisBus {
    inner: Arc<Inner>,
    publish_tx: mpsc::UnboundedSender<publisher::Job>,
    control_tx: mpsc::UnboundedSender<subscriber::Control>,
    next_subscription: AtomicU64,
    cancel: CancellationToken,
    tasks: TaskTracker,
}

/// This instance's view of one room's presence.
#[derive(Debug, Default, Clone, Copy)]
struct RoomPresence {
    /// Connections here.
    local: usize,
    /// Connections on the other instances, as last heard.
    others: usize,
}

/// What the background tasks share with the bus.
pub(crate) struct Inner {
    pool: Pool,
    keys: Keys,
    instance_id: String,
    options: RedisOptions,
    publish_script: redis::Script,
    presence_script: redis::Script,
    presence: Mutex<HashMap<RoomId, RoomPresence>>,
    /// Rooms whose entry must be withdrawn from Redis (count went to 0).
    withdrawn: Mutex<HashSet<RoomId>>,
    presence_changed: Notify,
    /// Bytes in the publish queue (and in the batch being sent).
    publish_queued: AtomicUsize,
    /// Rooms that lost messages on their way out and owe their peers a
    /// resync marker.
    owed_resync: Mutex<HashSet<RoomId>>,
    gaps_repaired: AtomicU64,
    resyncs: AtomicU64,
    publish_dropped: AtomicU64,
}

impl RedisBus {
    pub async fn connect(options: RedisOptions) -> Result<Arc<Self>, BusError> {
        let instance_id = options.instance_id.clone();
        if instance_id.is_empty() || instance_id.len() > usize::from(u8::MAX) {
            return Err(BusError::Backend(
                "instance id must be 1 to 255 bytes".into(),
            ));
        }
        let client = redis::Client::open(options.url.as_str())
            .map_err(|e| BusError::Backend(format!("invalid redis url: {e}")))?;
        let timeout = Some(Duration::from_secs(5));
        let pool = deadpool_redis::Config::from_url(options.url.as_str())
            .builder()
            .map_err(backend("redis pool config"))?
            .max_size(options.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(timeout)
            .create_timeout(timeout)
            .recycle_timeout(timeout)
            .build()
            .map_err(backend("building the redis pool"))?;
        let inner = Arc::new(Inner {
            pool,
            keys: Keys {
                prefix: options.prefix.clone(),
            },
            instance_id,
            options,
            publish_script: redis::Script::new(scripts::PUBLISH),
            presence_script: redis::Script::new(scripts::PRESENCE),
            presence: Mutex::new(HashMap::new()),
            withdrawn: Mutex::new(HashSet::new()),
            presence_changed: Notify::new(),
            publish_queued: AtomicUsize::new(0),
            owed_resync: Mutex::new(HashSet::new()),
            gaps_repaired: AtomicU64::new(0),
            resyncs: AtomicU64::new(0),
            publish_dropped: AtomicU64::new(0),
        });
        // Fail fast on a wrong url or a Redis that is not there.
        inner.ping().await?;
        inner.load_scripts().await?;
        let (subscriber, messages) = subscriber::start(inner.clone(), client).await?;

        let cancel = CancellationToken::new();
        let tasks = TaskTracker::new();
        let (publish_tx, publish_rx) = mpsc::unbounded_channel();
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        tasks.spawn(publisher::run(inner.clone(), publish_rx, cancel.clone()));
        tasks.spawn(subscriber::run(
            subscriber,
            messages,
            control_rx,
            cancel.clone(),
        ));
        tasks.spawn(publisher::heartbeat(inner.clone(), cancel.clone()));
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

    /// `Resync` events delivered (stream trimmed, Redis lost its data, a
    /// subscription overflowed, a peer's resync marker).
    pub fn resyncs(&self) -> u64 {
        self.inner.resyncs.load(Ordering::Relaxed)
    }

    /// Messages this instance could not publish (queue full, refused).
    pub fn publish_dropped(&self) -> u64 {
        self.inner.publish_dropped.load(Ordering::Relaxed)
    }

    pub fn instance_id(&self) -> &str {
        &self.inner.instance_id
    }

    /// Publishes what is queued (for up to `timeout`), removes this
    /// instance's presence entries and stops the background tasks.
    pub async fn shutdown(&self, timeout: Duration) {
        let (done, flushed) = oneshot::channel();
        if self.publish_tx.send(publisher::Job::Flush(done)).is_ok() {
            let _ = tokio::time::timeout(timeout, flushed).await;
        }
        self.cancel.cancel();
        let _ = tokio::time::timeout(timeout, self.tasks.wait()).await;
        let rooms: Vec<RoomId> = lock(&self.inner.presence)
            .drain()
            .filter(|(_, p)| p.local > 0)
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
        let options = &self.inner.options;
        let (tx, events) =
            queue::channel(options.subscription_queue, options.subscription_queue_bytes);
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
        let seq = acked.await.map_err(|_| closed())??;
        // From here on, dropping the guard unsubscribes.
        let guard = subscriber::Unsubscribe {
            room: room.clone(),
            id,
            control: self.control_tx.clone(),
        };
        // The stream tail is the cache of what Postgres may not hold yet
        // (other instances flush in batches). It is read here, in the
        // opening room's task and page by page, never in the shared loop.
        let tail = stream::tail(&self.inner, room, seq).await.map_err(|why| {
            tracing::warn!(%room, %why, "cannot read the stream tail");
            BusError::Backend(why)
        })?;
        match self.inner.presence_call(room, None).await {
            Ok(total) => self.inner.note_total(room, total, true),
            Err(e) => tracing::warn!(%room, error = %e, "cannot read the room's presence"),
        }
        Ok(Subscription::new(events, tail, Box::new(guard)))
    }

    fn publish(&self, room: &RoomId, message: Outgoing) {
        publisher::enqueue(&self.inner, &self.publish_tx, room, message);
    }

    fn set_presence(&self, room: &RoomId, local: usize) -> usize {
        self.inner.set_local(room, local)
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
            publish_dropped: self.publish_dropped(),
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

    /// The publisher and the heartbeat call the scripts by their hash.
    async fn load_scripts(&self) -> Result<(), BusError> {
        let mut conn = self.conn().await?;
        for script in [&self.publish_script, &self.presence_script] {
            script
                .prepare_invoke()
                .load_async(&mut conn)
                .await
                .map_err(backend("redis script load"))?;
        }
        Ok(())
    }

    /// Records the local count; returns the best known total.
    fn set_local(&self, room: &RoomId, local: usize) -> usize {
        let mut presence = lock(&self.presence);
        if local == 0 {
            let others = presence.remove(room).map_or(0, |p| p.others);
            drop(presence);
            lock(&self.withdrawn).insert(room.clone());
            self.presence_changed.notify_one();
            return others;
        }
        lock(&self.withdrawn).remove(room);
        let entry = presence.entry(room.clone()).or_default();
        entry.local = local;
        entry.local + entry.others
    }

    fn local_count(&self, room: &RoomId) -> usize {
        lock(&self.presence).get(room).map_or(0, |p| p.local)
    }

    /// Learns the room's total (which counts this instance as it is now):
    /// what is not ours is the other instances'. `open` creates the entry
    /// (a room opening here); otherwise only known rooms are updated.
    fn note_total(&self, room: &RoomId, total: usize, open: bool) {
        let mut presence = lock(&self.presence);
        let entry = match presence.get_mut(room) {
            Some(entry) => entry,
            None if open => presence.entry(room.clone()).or_default(),
            None => return,
        };
        entry.others = total.saturating_sub(entry.local);
    }

    /// Forgets a room nobody here uses any more.
    fn forget_presence(&self, room: &RoomId) {
        let mut presence = lock(&self.presence);
        if presence.get(room).is_some_and(|p| p.local == 0) {
            presence.remove(room);
        }
    }

    fn presence_ttl_ms(&self) -> u64 {
        u64::try_from(self.options.presence_ttl.as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// Runs the presence script: sets this instance's count when `local`
    /// is given, and returns the room's live total.
    async fn presence_call(&self, room: &RoomId, local: Option<usize>) -> Result<usize, BusError> {
        let mut conn = self.conn().await?;
        let (instance, count) = match local {
            Some(n) => (self.instance_id.as_str(), n),
            None => ("", 0),
        };
        self.presence_script
            .key(self.keys.presence(room))
            .key(self.keys.channel(room))
            .arg(instance)
            .arg(count)
            .arg(self.presence_ttl_ms())
            .arg("")
            .invoke_async::<usize>(&mut conn)
            .await
            .map_err(backend("redis presence"))
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
    fn stream_bytes(&self, room: &RoomId) -> String {
        format!("{}:sbytes:{room}", self.prefix)
    }
    fn presence(&self, room: &RoomId) -> String {
        format!("{}:presence:{room}", self.prefix)
    }
}

/// Exponential backoff with jitter: 20 ms doubling up to `max`. Kept
/// short: a Redis that answers again is used again within `max`.
struct Backoff {
    attempt: u32,
    max: Duration,
}

impl Backoff {
    fn new(max: Duration) -> Self {
        Self { attempt: 0, max }
    }

    fn next_delay(&mut self) -> Duration {
        let max = u64::try_from(self.max.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let base = 20u64.saturating_mul(1 << self.attempt.min(10)).min(max);
        self.attempt = self.attempt.saturating_add(1);
        let jitter = rand::random_range(0..=base / 4);
        Duration::from_millis((base + jitter).min(max))
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
