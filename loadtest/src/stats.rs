//! Latency accounting: when each edit was sent, how many receivers saw it,
//! and the histogram of (receive time - send time) over every
//! (edit, receiver) pair. One process and one monotonic clock, so send and
//! receive times compare directly.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::marker::Marker;

/// Latencies are recorded in microseconds, up to two minutes.
const MAX_MICROS: u64 = 120_000_000;
const SHARDS: usize = 16;

/// One sent edit.
#[derive(Clone, Copy, Debug, Default)]
pub struct SentEdit {
    /// Nanoseconds since the run's epoch.
    pub at_ns: u64,
    /// Receivers that have seen it so far.
    pub delivered: u32,
}

/// What a receiver learns from [`EditLog::deliver`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// First sighting; latency in microseconds.
    Fresh(u64),
    /// A marker this run never sent (corrupted text, or a stale room).
    Unknown,
}

/// Every edit sent, per sender (indexed by global client id, then seq).
/// A mutex per sender: contention is between one sender and its room's
/// receivers only.
pub struct EditLog {
    epoch: Instant,
    senders: Vec<Mutex<Vec<SentEdit>>>,
}

impl EditLog {
    pub fn new(epoch: Instant, clients: usize) -> Self {
        Self {
            epoch,
            senders: (0..clients).map(|_| Mutex::new(Vec::new())).collect(),
        }
    }

    pub fn now_ns(&self) -> u64 {
        self.ns_at(Instant::now())
    }

    pub fn ns_at(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.epoch).as_nanos() as u64
    }

    /// Records that `client` sends its next edit now; returns its seq.
    pub fn record_send(&self, client: u32, seq: u32) {
        let at_ns = self.now_ns();
        let mut v = lock(&self.senders[client as usize]);
        debug_assert_eq!(v.len(), seq as usize);
        v.push(SentEdit {
            at_ns,
            delivered: 0,
        });
    }

    /// A receiver saw `m` for the first time at `at_ns`.
    pub fn deliver(&self, m: Marker, at_ns: u64) -> Delivery {
        let Some(sender) = self.senders.get(m.client as usize) else {
            return Delivery::Unknown;
        };
        let mut v = lock(sender);
        match v.get_mut(m.seq as usize) {
            Some(e) => {
                e.delivered += 1;
                Delivery::Fresh(at_ns.saturating_sub(e.at_ns) / 1_000)
            }
            None => Delivery::Unknown,
        }
    }

    pub fn sent_by(&self, client: u32) -> Vec<SentEdit> {
        lock(&self.senders[client as usize]).clone()
    }

    /// Deliveries still missing, over every sender, of the edits sent
    /// before `before_ns` (each due at `receivers` others).
    pub fn overdue(&self, before_ns: u64, receivers: u32) -> u64 {
        self.senders
            .iter()
            .map(|s| {
                let v = lock(s);
                let due = v.partition_point(|e| e.at_ns < before_ns);
                lost_deliveries(&v[..due], receivers)
            })
            .sum()
    }

    /// Expected minus actual deliveries of this sender's edits.
    pub fn lost_for(&self, client: u32, receivers: u32) -> u64 {
        lost_deliveries(&lock(&self.senders[client as usize]), receivers)
    }
}

/// Deliveries missing when every edit should have reached `receivers`
/// others. Extra deliveries (a receiver that reconnected) do not offset
/// missing ones.
pub fn lost_deliveries(edits: &[SentEdit], receivers: u32) -> u64 {
    edits
        .iter()
        .map(|e| u64::from(receivers.saturating_sub(e.delivered)))
        .sum()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicking client task must not hide the others' figures.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn new_histogram() -> Histogram<u64> {
    #[allow(clippy::unwrap_used)] // constant, valid bounds
    Histogram::new_with_bounds(1, MAX_MICROS, 3).unwrap()
}

/// Sharded latency histograms: the whole run, and the current interval
/// (reset by the ramp between steps).
pub struct Recorder {
    shards: Vec<Mutex<(Histogram<u64>, Histogram<u64>)>>,
    pub delivered: AtomicU64,
    pub last_delivery_ns: AtomicU64,
}

impl Default for Recorder {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| Mutex::new((new_histogram(), new_histogram())))
                .collect(),
            delivered: AtomicU64::new(0),
            last_delivery_ns: AtomicU64::new(0),
        }
    }
}

impl Recorder {
    pub fn record(&self, shard: usize, micros: u64, at_ns: u64) {
        let v = micros.clamp(1, MAX_MICROS);
        {
            let mut s = lock(&self.shards[shard % SHARDS]);
            s.0.saturating_record(v);
            s.1.saturating_record(v);
        }
        self.delivered.fetch_add(1, Ordering::Relaxed);
        self.last_delivery_ns.fetch_max(at_ns, Ordering::Relaxed);
    }

    pub fn total(&self) -> Histogram<u64> {
        self.merge(|s| &s.0)
    }

    pub fn interval(&self) -> Histogram<u64> {
        self.merge(|s| &s.1)
    }

    /// Returns the interval histogram and starts a new interval.
    pub fn take_interval(&self) -> Histogram<u64> {
        let mut h = new_histogram();
        for s in &self.shards {
            let mut s = lock(s);
            let _ = h.add(&s.1);
            s.1.reset();
        }
        h
    }

    fn merge(
        &self,
        pick: impl Fn(&(Histogram<u64>, Histogram<u64>)) -> &Histogram<u64>,
    ) -> Histogram<u64> {
        let mut h = new_histogram();
        for s in &self.shards {
            // Same bounds everywhere, so `add` cannot fail.
            let _ = h.add(pick(&lock(s)));
        }
        h
    }
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct LatencySummary {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl LatencySummary {
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let ms = |us: u64| us as f64 / 1_000.0;
        Self {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
            mean_ms: h.mean() / 1_000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut h = new_histogram();
        // 1..=1000 microseconds, once each.
        for us in 1..=1000 {
            h.record(us).unwrap();
        }
        let s = LatencySummary::of(&h);
        assert_eq!(s.count, 1000);
        assert!((s.p50_ms - 0.5).abs() < 0.001, "{s:?}");
        assert!((s.p90_ms - 0.9).abs() < 0.001, "{s:?}");
        assert!((s.p99_ms - 0.99).abs() < 0.001, "{s:?}");
        assert!((s.max_ms - 1.0).abs() < 0.001, "{s:?}");
        assert_eq!(
            LatencySummary::of(&new_histogram()),
            LatencySummary::default()
        );
    }

    #[test]
    fn deliveries_are_timed_against_the_send() {
        let epoch = Instant::now();
        let log = EditLog::new(epoch, 2);
        log.record_send(1, 0);
        let sent = log.sent_by(1)[0].at_ns;
        assert_eq!(
            log.deliver(Marker::new(1, 0), sent + 2_500_000),
            Delivery::Fresh(2_500)
        );
        assert_eq!(log.deliver(Marker::new(1, 1), sent), Delivery::Unknown);
        assert_eq!(log.deliver(Marker::new(9, 0), sent), Delivery::Unknown);
        assert_eq!(log.sent_by(1)[0].delivered, 1);
    }

    #[test]
    fn lost_deliveries_count_missing_receivers_per_edit() {
        let e = |d| SentEdit {
            at_ns: 0,
            delivered: d,
        };
        assert_eq!(lost_deliveries(&[e(3), e(3)], 3), 0);
        assert_eq!(lost_deliveries(&[e(3), e(1), e(0)], 3), 5);
        // A surplus on one edit does not hide a loss on another.
        assert_eq!(lost_deliveries(&[e(4), e(2)], 3), 1);
        assert_eq!(lost_deliveries(&[], 3), 0);
        let log = EditLog::new(Instant::now(), 1);
        log.record_send(0, 0);
        log.record_send(0, 1);
        log.deliver(Marker::new(0, 1), 0);
        assert_eq!(log.lost_for(0, 2), 3);
    }

    #[test]
    fn overdue_counts_only_edits_sent_before_the_cutoff() {
        let log = EditLog::new(Instant::now(), 2);
        log.record_send(0, 0);
        log.record_send(1, 0);
        std::thread::sleep(std::time::Duration::from_millis(2));
        let cutoff = log.now_ns();
        log.record_send(0, 1); // too recent to be due
        log.deliver(Marker::new(1, 0), cutoff);
        // client 0's first edit is due at 2 receivers, client 1's has one of 2
        assert_eq!(log.overdue(cutoff, 2), 2 + 1);
        assert_eq!(log.overdue(0, 2), 0);
        assert_eq!(log.overdue(log.now_ns() + 1, 2), 2 + 1 + 2);
    }

    #[test]
    fn recorder_merges_shards_and_resets_intervals() {
        let r = Recorder::default();
        for i in 0..100u64 {
            r.record(i as usize, 1_000 + i, i);
        }
        assert_eq!(r.total().len(), 100);
        assert_eq!(r.take_interval().len(), 100);
        assert_eq!(r.interval().len(), 0);
        assert_eq!(r.total().len(), 100);
        assert_eq!(r.delivered.load(Ordering::Relaxed), 100);
        assert_eq!(r.last_delivery_ns.load(Ordering::Relaxed), 99);
    }
}
