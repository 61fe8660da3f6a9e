//! The results: one serializable struct, printed for people and written as
//! JSON for scripts.

use serde::Serialize;

use crate::converge::RoomVerdict;
use crate::stats::LatencySummary;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub label: String,
    pub urls: Vec<String>,
    pub protocol: String,
    pub rooms: usize,
    pub clients_per_room: usize,
    /// Per client, as asked.
    pub edits_per_sec_per_client: f64,
    /// Seconds of typing.
    pub typing_secs: f64,
    pub edits_sent: u64,
    pub edits_per_sec: f64,
    pub deliveries: u64,
    pub deliveries_per_sec: f64,
    pub expected_deliveries: u64,
    pub lost_deliveries: u64,
    pub late_detected: u64,
    pub unknown_markers: u64,
    pub latency: LatencySummary,
    pub connect_failures: u64,
    pub disconnects: u64,
    pub protocol_errors: u64,
    pub rooms_checked: usize,
    pub rooms_diverged: usize,
    pub rooms_missing_edits: usize,
    pub rooms_duplicated_edits: usize,
    /// The first few failing rooms, for diagnosis.
    pub room_failures: Vec<RoomFailure>,
    pub loadtest_cpu_secs: f64,
    /// Our own CPU use over the typing window, in % of one core.
    pub loadtest_cpu_pct: f64,
    /// CPU used by everything else on the machine during the run (not us,
    /// not the measured servers or Redis), in % of one core.
    pub other_cpu_pct: Option<f64>,
    pub server_cpu_secs: Option<f64>,
    pub redis_cpu_secs: Option<f64>,
    /// The database's processes (postmaster and backends).
    pub db_cpu_secs: Option<f64>,
    /// Servers (+ Redis + database) CPU seconds per 1,000 deliveries.
    pub server_cpu_secs_per_1000_deliveries: Option<f64>,
    /// Context switches of the servers, Redis and the database over typing
    /// plus drain: each is a process put to sleep and woken again (or
    /// preempted), the unit a hop between processes costs.
    pub service_context_switches: Option<u64>,
    pub context_switches_per_delivery: Option<f64>,
    pub ramp: Option<Ramp>,
    pub idle: Option<Idle>,
    pub warnings: Vec<String>,
    pub ok: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct RoomFailure {
    pub room_id: String,
    pub verdict: RoomVerdict,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Ramp {
    /// What each step raised: `rate` or `rooms`.
    pub by: String,
    pub p99_limit_ms: f64,
    pub steps: Vec<RampStep>,
    /// Highest total edits/s achieved (within 10% of the target) with p99
    /// at or under the limit.
    pub max_sustained_edits_per_sec: f64,
    /// Rooms of that step.
    pub max_sustained_rooms: usize,
    pub stopped_because: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RampStep {
    pub rooms: usize,
    pub target_edits_per_sec: f64,
    pub edits_per_sec: f64,
    pub deliveries_per_sec: f64,
    pub latency: LatencySummary,
    pub loadtest_cpu_pct: f64,
    /// Deliveries of edits sent more than a second before the step ended
    /// that had not arrived by then (edits going missing).
    pub overdue_deliveries: u64,
    /// How many of those the step tolerates (markers noticed late).
    pub overdue_tolerated: u64,
    /// Connection failures, drops and protocol errors during the step.
    pub errors: u64,
    /// Its p99 was over the limit, so the same load was measured again
    /// (the next step in the list).
    pub remeasured: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Idle {
    pub requested: usize,
    pub connected: usize,
    pub rooms: usize,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub kib_per_connection: f64,
    /// Seconds over which the idle CPU was measured.
    pub hold_secs: f64,
    /// Servers + Redis + database CPU while the connections sat idle, in %
    /// of one core (`None` without `--server-pids`).
    pub cpu_pct: Option<f64>,
    pub cpu_pct_per_1000_connections: Option<f64>,
}

impl Report {
    pub fn print_human(&self) {
        let l = &self.latency;
        println!("== loadtest {} ==", self.label);
        if let Some(idle) = &self.idle {
            println!(
                "idle connections: {}/{} over {} rooms; server RSS {} KiB -> {} KiB: {:.2} KiB per connection",
                idle.connected,
                idle.requested,
                idle.rooms,
                idle.rss_before_kib,
                idle.rss_after_kib,
                idle.kib_per_connection
            );
            if let (Some(c), Some(k)) = (idle.cpu_pct, idle.cpu_pct_per_1000_connections) {
                println!(
                    "idle CPU over {:.0} s: {c:.2}% of one core = {k:.3}% per 1,000 connections",
                    idle.hold_secs
                );
            }
        } else {
            println!(
                "{} rooms x {} clients ({}), {} edits/s per client, {:.1} s typing, instances: {}",
                self.rooms,
                self.clients_per_room,
                self.protocol,
                self.edits_per_sec_per_client,
                self.typing_secs,
                self.urls.join(" ")
            );
            println!(
                "sent {} edits ({:.1}/s); {} deliveries ({:.1}/s); {} expected by clients alive at the end",
                self.edits_sent,
                self.edits_per_sec,
                self.deliveries,
                self.deliveries_per_sec,
                self.expected_deliveries
            );
            println!(
                "latency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}  (n={})",
                l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms, l.count
            );
            println!(
                "lost deliveries {}, late-detected {}, unknown markers {}",
                self.lost_deliveries, self.late_detected, self.unknown_markers
            );
            println!(
                "rooms: {} checked, {} diverged, {} missing edits, {} duplicated edits",
                self.rooms_checked,
                self.rooms_diverged,
                self.rooms_missing_edits,
                self.rooms_duplicated_edits
            );
        }
        println!(
            "connections: {} failed to open, {} dropped; protocol errors {}",
            self.connect_failures, self.disconnects, self.protocol_errors
        );
        if let Some(r) = &self.ramp {
            for s in &r.steps {
                println!(
                    "  ramp step: {} rooms  target {:.0}/s  sent {:.0}/s  delivered {:.0}/s  p50 {:.3} p99 {:.3} max {:.3} ms  loadtest cpu {:.0}%  overdue {}  errors {}",
                    s.rooms,
                    s.target_edits_per_sec,
                    s.edits_per_sec,
                    s.deliveries_per_sec,
                    s.latency.p50_ms,
                    s.latency.p99_ms,
                    s.latency.max_ms,
                    s.loadtest_cpu_pct,
                    s.overdue_deliveries,
                    s.errors
                );
            }
            println!(
                "ramp by {}: highest sustained {:.0} edits/s ({} rooms) with p99 <= {} ms (stopped: {})",
                r.by,
                r.max_sustained_edits_per_sec,
                r.max_sustained_rooms,
                r.p99_limit_ms,
                r.stopped_because
            );
        }
        println!(
            "loadtest cpu {:.2} s ({:.0}% of one core)",
            self.loadtest_cpu_secs, self.loadtest_cpu_pct
        );
        if let Some(o) = self.other_cpu_pct {
            println!("other processes on the machine: {o:.0}% of one core during the run");
        }
        if let Some(s) = self.server_cpu_secs {
            print!("server cpu {s:.2} s");
            if let Some(r) = self.redis_cpu_secs {
                print!(" + redis {r:.2} s");
            }
            if let Some(d) = self.db_cpu_secs {
                print!(" + database {d:.2} s");
            }
            if let Some(k) = self.server_cpu_secs_per_1000_deliveries {
                print!(" = {k:.4} CPU-s per 1,000 deliveries");
            }
            println!();
        }
        if let (Some(n), Some(k)) = (
            self.service_context_switches,
            self.context_switches_per_delivery,
        ) {
            println!(
                "context switches of the servers and their services: {n} = {k:.2} per delivery"
            );
        }
        for f in &self.room_failures {
            println!("  room {}: {:?}", f.room_id, f.verdict);
        }
        for w in &self.warnings {
            println!("warning: {w}");
        }
        println!("result: {}", if self.ok { "OK" } else { "FAILED" });
    }
}
