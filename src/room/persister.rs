//! A room's road to the store: the updates applied here and not yet
//! stored, one write in flight at a time, retries with backoff, and what
//! to do when a write keeps failing while the store itself answers.
//!
//! A batch that fails while the store's ping succeeds is not the database
//! being down: something in the batch is refused. The batch is then
//! written one update at a time, so the rest persists; an update refused
//! on its own is set aside (kept in memory, retried slowly, counted and
//! logged with the room) instead of blocking every later edit.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::{error, warn};

use super::writer::Writer;
use crate::doc;
use crate::domain::RoomId;
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};

/// What a finished write reports.
pub struct Written {
    batch: Vec<Bytes>,
    result: Result<u64, StoreError>,
    /// After a failure: whether the store still answered its ping.
    store_up: bool,
}

pub struct Persister {
    pending: Vec<Bytes>,
    /// Updates the store refused on their own while it was up.
    stuck: Vec<Bytes>,
    flights: JoinSet<Written>,
    /// When the oldest pending update arrived (the batching deadline).
    since: Option<Instant>,
    /// Earliest next attempt after a failure.
    retry_at: Option<Instant>,
    /// When a set-aside update is next tried.
    stuck_retry_at: Option<Instant>,
    failures: u32,
    /// Write one update at a time (a batch was refused while the store
    /// was up).
    singly: bool,
    interval: Duration,
    compact_every: u64,
}

const MAX_BACKOFF: Duration = Duration::from_secs(30);
const STUCK_RETRY: Duration = Duration::from_secs(60);

impl Persister {
    pub fn new(interval: Duration, compact_every: u64) -> Self {
        Self {
            pending: Vec::new(),
            stuck: Vec::new(),
            flights: JoinSet::new(),
            since: None,
            retry_at: None,
            stuck_retry_at: None,
            failures: 0,
            singly: false,
            interval,
            compact_every,
        }
    }

    pub fn push(&mut self, updates: impl IntoIterator<Item = Bytes>) {
        let before = self.pending.len();
        self.pending.extend(updates);
        if before == 0 && !self.pending.is_empty() {
            self.since = Some(Instant::now());
        }
    }

    pub fn in_flight(&self) -> bool {
        !self.flights.is_empty()
    }

    /// Nothing waits to be written (set-aside updates aside).
    #[cfg(test)]
    fn is_idle(&self) -> bool {
        self.pending.is_empty() && self.flights.is_empty()
    }

    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    pub fn stuck(&self) -> usize {
        self.stuck.len()
    }

    /// When the next write should start, if one is due at all: the room's
    /// timer is armed only then.
    pub fn due(&self) -> Option<Instant> {
        if self.in_flight() {
            return None;
        }
        let pending = self.since.map(|since| {
            let at = aligned(since + self.interval, self.interval);
            self.retry_at.map_or(at, |r| r.max(at))
        });
        let stuck = self.stuck_retry_at.filter(|_| !self.stuck.is_empty());
        match (pending, stuck) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Starts a write of what is pending (and, on a slow retry, what was
    /// set aside), unless one is in flight.
    pub fn start(&mut self, to: &Target, room: &RoomId, code: String, language: String) {
        if self.in_flight() {
            return;
        }
        let stuck_due = self.stuck_retry_at.is_some_and(|at| at <= Instant::now());
        if self.pending.is_empty() && !self.stuck.is_empty() && stuck_due {
            // Give one set-aside update another chance.
            let update = self.stuck.remove(0);
            self.pending.push(update);
            self.stuck_retry_at = None;
        }
        if self.pending.is_empty() {
            return;
        }
        let batch: Vec<Bytes> = if self.singly {
            vec![self.pending.remove(0)]
        } else {
            std::mem::take(&mut self.pending)
        };
        if self.pending.is_empty() {
            self.since = None;
        }
        let Target { writer, store } = to.clone();
        let room = room.clone();
        self.flights.spawn(async move {
            let updates = rows(&batch);
            let result = writer.append(room, updates, code, language).await;
            let store_up = result.is_ok() || store.ping().await.is_ok();
            Written {
                batch,
                result,
                store_up,
            }
        });
    }

    /// Waits for the write in flight; `None` when there is none.
    pub async fn next_written(&mut self) -> Option<Written> {
        match self.flights.join_next().await? {
            Ok(written) => Some(written),
            Err(e) => {
                // The write task panicked: nothing is known to be stored.
                warn!(error = %e, "persist task failed");
                None
            }
        }
    }

    /// Accounts for a finished write; returns true when the room should
    /// compact.
    pub fn finished(&mut self, written: Written, room: &RoomId, metrics: &Metrics) -> bool {
        let Written {
            mut batch,
            result,
            store_up,
        } = written;
        match result {
            Ok(log_rows) => {
                metrics.persisted_updates.inc_by(batch.len() as u64);
                self.failures = 0;
                self.retry_at = None;
                if self.singly && self.pending.is_empty() {
                    self.singly = false;
                }
                log_rows >= self.compact_every
            }
            Err(e) => {
                metrics.persist_errors.inc();
                self.failures += 1;
                let backoff = self.interval * 2u32.saturating_pow(self.failures.min(6));
                self.retry_at = Some(Instant::now() + backoff.min(MAX_BACKOFF));
                if store_up && batch.len() == 1 {
                    // Refused on its own while the store answers: set it
                    // aside so the room's other edits keep persisting.
                    metrics.reject("persist_refused");
                    error!(room = %room, error = %e, "the store refuses an update while it is up; set aside, retried every minute");
                    self.stuck.append(&mut batch);
                    self.stuck_retry_at = Some(Instant::now() + STUCK_RETRY);
                    self.failures = 0;
                    self.retry_at = None;
                } else {
                    if store_up {
                        warn!(room = %room, error = %e, updates = batch.len(), "the store refused a batch while up; writing one update at a time");
                        self.singly = true;
                    } else {
                        warn!(room = %room, error = %e, updates = batch.len(), failures = self.failures, "persisting failed; will retry");
                    }
                    batch.append(&mut self.pending);
                    self.pending = batch;
                    self.since.get_or_insert_with(Instant::now);
                }
                false
            }
        }
    }

    /// Writes everything pending now (unload, shutdown), a few rounds at
    /// most. True when nothing is left but set-aside updates.
    pub async fn flush_all(
        &mut self,
        to: &Target,
        room: &RoomId,
        text: impl Fn() -> (String, String),
        metrics: &Metrics,
    ) -> bool {
        for _ in 0..64 {
            while let Some(written) = self.next_written().await {
                self.finished(written, room, metrics);
            }
            if self.pending.is_empty() {
                return true;
            }
            if self.failures >= 3 {
                return false;
            }
            let (code, language) = text();
            self.retry_at = None;
            self.start(to, room, code, language);
        }
        false
    }
}

/// The log rows a batch becomes: one merged update (a flush of a busy
/// room carries many keystrokes; each row costs the store an insert, and
/// the log reaches compaction sooner), or the updates as they are when
/// they do not merge. A batch written one update at a time (after a
/// refusal) stays one row, so the store's answer still names the update.
fn rows(batch: &[Bytes]) -> Vec<Vec<u8>> {
    if batch.len() > 1
        && let Ok(merged) = doc::merge(batch.iter().map(|b| b.as_ref()))
    {
        return vec![merged];
    }
    batch.iter().map(|b| b.to_vec()).collect()
}

/// Where a room's writes go: the instance's writer, and the store itself
/// (asked whether it is up when a write fails).
#[derive(Clone)]
pub struct Target {
    pub writer: Writer,
    pub store: Arc<dyn Store>,
}

/// Rounds `at` up to the instance-wide grid of `interval`, so rooms that
/// became due within one interval flush at the same moment and the writer
/// takes them in one transaction.
fn aligned(at: Instant, interval: Duration) -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    let step = interval.as_nanos().max(1);
    let since = at.saturating_duration_since(epoch).as_nanos();
    let rounded = since.div_ceil(step) * step;
    epoch + Duration::from_nanos(u64::try_from(rounded).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;
    use crate::store::{Batch, NewRoom, NewVersion, RoomRecord, Version, VersionInfo};
    use async_trait::async_trait;
    use std::sync::Mutex;

    /// A store that refuses any batch containing a poisoned update while
    /// it is up, and everything while it is down.
    #[derive(Default)]
    struct Picky {
        stored: Mutex<Vec<Vec<u8>>>,
        down: std::sync::atomic::AtomicBool,
    }

    #[async_trait]
    impl Store for Picky {
        async fn create_room(&self, _: NewRoom<'_>) -> Result<RoomRecord, StoreError> {
            Err(StoreError::Conflict)
        }
        async fn room(&self, _: &RoomId) -> Result<Option<RoomRecord>, StoreError> {
            Ok(None)
        }
        async fn load(&self, _: &RoomId) -> Result<Option<Vec<Vec<u8>>>, StoreError> {
            Ok(None)
        }
        async fn append(&self, _: &RoomId, batch: Batch<'_>) -> Result<u64, StoreError> {
            if self.down.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(StoreError::Backend("down".into()));
            }
            if batch.updates.iter().any(|u| u == b"poison") {
                return Err(StoreError::Backend("refused".into()));
            }
            let mut stored = self.stored.lock().unwrap();
            stored.extend(batch.updates.iter().cloned());
            Ok(stored.len() as u64)
        }
        async fn compact(&self, _: &RoomId) -> Result<(), StoreError> {
            Ok(())
        }
        async fn ping(&self) -> Result<(), StoreError> {
            if self.down.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(StoreError::Backend("down".into()));
            }
            Ok(())
        }
        async fn add_version(
            &self,
            _: &RoomId,
            _: NewVersion<'_>,
            _: usize,
        ) -> Result<Option<VersionInfo>, StoreError> {
            Ok(None)
        }
        async fn versions(
            &self,
            _: &RoomId,
            _: Option<i64>,
            _: usize,
        ) -> Result<Vec<VersionInfo>, StoreError> {
            Ok(Vec::new())
        }
        async fn version(&self, _: &RoomId, _: i64) -> Result<Option<Version>, StoreError> {
            Ok(None)
        }
        async fn name_version(
            &self,
            _: &RoomId,
            _: i64,
            _: Option<&str>,
            _: usize,
        ) -> Result<Option<VersionInfo>, StoreError> {
            Ok(None)
        }
    }

    fn room() -> RoomId {
        RoomId::parse("persister-test").unwrap()
    }

    async fn drive(p: &mut Persister, store: &Arc<dyn Store>, metrics: &Metrics) {
        let to = Target {
            writer: Writer::spawn(store.clone()),
            store: store.clone(),
        };
        for _ in 0..20 {
            p.retry_at = None;
            if p.stuck() > 0 {
                p.stuck_retry_at = Some(Instant::now());
            }
            p.start(&to, &room(), String::new(), Language::DEFAULT.into());
            while let Some(w) = p.next_written().await {
                p.finished(w, &room(), metrics);
            }
        }
    }

    #[test]
    fn flushes_align_on_a_shared_grid() {
        let interval = Duration::from_millis(500);
        let now = Instant::now();
        let a = aligned(now, interval);
        let b = aligned(now + Duration::from_millis(123), interval);
        assert!(a >= now && a < now + interval);
        assert!(b == a || b == a + interval);
        assert_eq!(aligned(a, interval), a);
    }

    #[tokio::test]
    async fn a_refused_update_does_not_block_the_others() {
        let picky = Arc::new(Picky::default());
        let store: Arc<dyn Store> = picky.clone();
        let metrics = Metrics::new();
        let mut p = Persister::new(Duration::from_millis(10), 1000);
        p.push(["a", "poison", "b"].map(|s| Bytes::from_static(s.as_bytes())));
        drive(&mut p, &store, &metrics).await;
        let stored = picky.stored.lock().unwrap().clone();
        assert_eq!(stored, vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(p.stuck(), 1, "kept, not lost");
        // Later edits persist in batches again.
        p.push([Bytes::from_static(b"c"), Bytes::from_static(b"d")]);
        drive(&mut p, &store, &metrics).await;
        assert_eq!(picky.stored.lock().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn a_flush_of_many_keystrokes_is_one_row_that_loads_the_same() {
        use yrs::{GetString, Text, Transact};
        let source = doc::new_doc();
        let text = source.get_or_insert_text(doc::CODE);
        let mut updates = Vec::new();
        for word in ["fn", " main", "()", " {}", "!"] {
            let mut txn = source.transact_mut();
            let len = text.len(&txn);
            text.insert(&mut txn, len, word);
            updates.push(Bytes::from(txn.encode_update_v1()));
        }
        {
            let mut txn = source.transact_mut();
            let len = text.len(&txn);
            text.remove_range(&mut txn, len - 1, 1);
            updates.push(Bytes::from(txn.encode_update_v1()));
        }
        let expected = text.get_string(&source.transact());
        assert_eq!(expected, "fn main() {}");

        let picky = Arc::new(Picky::default());
        let store: Arc<dyn Store> = picky.clone();
        let metrics = Metrics::new();
        let mut p = Persister::new(Duration::from_millis(10), 1000);
        p.push(updates);
        drive(&mut p, &store, &metrics).await;
        let stored = picky.stored.lock().unwrap().clone();
        assert_eq!(stored.len(), 1, "one merged row");
        assert_eq!(metrics.persisted_updates.get(), 6, "every update counted");
        let loaded = doc::from_updates(stored.iter().map(Vec::as_slice)).unwrap();
        assert_eq!(doc::text(&loaded), expected);
    }

    #[tokio::test]
    async fn a_down_store_keeps_everything_in_order_for_later() {
        let picky = Arc::new(Picky::default());
        picky.down.store(true, std::sync::atomic::Ordering::SeqCst);
        let store: Arc<dyn Store> = picky.clone();
        let metrics = Metrics::new();
        let mut p = Persister::new(Duration::from_millis(10), 1000);
        p.push(["a", "b"].map(|s| Bytes::from_static(s.as_bytes())));
        drive(&mut p, &store, &metrics).await;
        assert_eq!(p.stuck(), 0, "nothing set aside while the store is down");
        assert!(p.due().is_some(), "a retry is scheduled");
        assert!(!p.is_idle());
        picky.down.store(false, std::sync::atomic::Ordering::SeqCst);
        drive(&mut p, &store, &metrics).await;
        assert_eq!(picky.stored.lock().unwrap().len(), 2);
        assert!(p.is_idle());
    }
}
