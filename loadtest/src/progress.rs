//! Typing for a while with a progress line a second.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::client::Shared;
use crate::stats::LatencySummary;

pub struct Progress {
    last_at: Instant,
    last_sent: u64,
    last_delivered: u64,
    started: Instant,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    pub fn new() -> Self {
        let now = Instant::now();
        Self {
            last_at: now,
            last_sent: 0,
            last_delivered: 0,
            started: now,
        }
    }

    pub fn line(&mut self, shared: &Shared, quiet: bool) {
        let now = Instant::now();
        let dt = now.duration_since(self.last_at).as_secs_f64().max(1e-6);
        let sent = shared.counters.sent.load(Ordering::Relaxed);
        let delivered = shared.rec.delivered.load(Ordering::Relaxed);
        if !quiet {
            let p99 = LatencySummary::of(&shared.rec.total()).p99_ms;
            let c = &shared.counters;
            eprintln!(
                "[{:>5.1}s] sent {sent} ({:.0}/s)  delivered {delivered} ({:.0}/s)  p99 {p99:.3} ms  conn-fail {} drops {} proto-err {}",
                now.duration_since(self.started).as_secs_f64(),
                (sent - self.last_sent) as f64 / dt,
                (delivered - self.last_delivered) as f64 / dt,
                c.connect_failures.load(Ordering::Relaxed),
                c.disconnects.load(Ordering::Relaxed),
                c.protocol_errors.load(Ordering::Relaxed),
            );
        }
        self.last_at = now;
        self.last_sent = sent;
        self.last_delivered = delivered;
    }
}

/// Types for `duration`, a progress line a second.
pub async fn type_for(shared: &Shared, duration: Duration, progress: &mut Progress, quiet: bool) {
    let end = tokio::time::Instant::now() + duration;
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(1),
        Duration::from_secs(1),
    );
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(end) => break,
            _ = tick.tick() => progress.line(shared, quiet),
        }
    }
}
