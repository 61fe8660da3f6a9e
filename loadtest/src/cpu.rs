//! CPU bookkeeping of a run: marks of our own, the servers', their Redis's
//! and their database's CPU time and context switches, and the figures
//! derived between marks.

use std::time::Instant;

use crate::cli::Args;
use crate::procstat;
use crate::report::Report;

/// CPU seconds of ourselves, the servers, Redis and the database at one
/// moment.
#[derive(Clone, Copy)]
pub struct CpuMark {
    pub at: Instant,
    pub me: f64,
    pub servers: Option<f64>,
    pub redis: Option<f64>,
    pub db: Option<f64>,
    pub machine: Option<f64>,
    /// Context switches of the servers, Redis and the database together.
    pub switches: Option<u64>,
}

pub fn mark(args: &Args) -> CpuMark {
    let servers = if args.server_pids.is_empty() {
        None
    } else {
        args.server_pids
            .iter()
            .map(|p| procstat::cpu_seconds(*p))
            .sum::<Option<f64>>()
    };
    CpuMark {
        at: Instant::now(),
        me: procstat::self_cpu_seconds(),
        servers,
        redis: args.redis_pid.and_then(procstat::tree_cpu_seconds),
        db: args.db_pid.and_then(procstat::tree_cpu_seconds),
        machine: procstat::machine_busy_seconds(),
        switches: switches(args),
    }
}

fn switches(args: &Args) -> Option<u64> {
    if args.server_pids.is_empty() {
        return None;
    }
    let servers = args
        .server_pids
        .iter()
        .map(|p| procstat::context_switches(*p))
        .sum::<Option<u64>>()?;
    let services = [args.redis_pid, args.db_pid]
        .into_iter()
        .flatten()
        .filter_map(procstat::tree_context_switches)
        .sum::<u64>();
    Some(servers + services)
}

/// Our CPU use between two marks in % of one core.
pub fn my_pct(a: CpuMark, b: CpuMark) -> f64 {
    let wall = b.at.duration_since(a.at).as_secs_f64().max(1e-6);
    100.0 * (b.me - a.me) / wall
}

fn delta(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(b? - a?)
}

/// CPU seconds the servers and their services (Redis, database) used
/// between two marks; `None` without server pids.
pub fn service_secs(a: CpuMark, b: CpuMark) -> Option<f64> {
    Some(
        delta(a.servers, b.servers)?
            + delta(a.redis, b.redis).unwrap_or(0.0)
            + delta(a.db, b.db).unwrap_or(0.0),
    )
}

/// Fills the report's CPU figures: typing from `start` to `typed`, the
/// servers over typing plus drain (the drain delivers the tail of what was
/// typed).
pub fn figures(report: &mut Report, start: CpuMark, typed: CpuMark, drained: CpuMark) {
    report.loadtest_cpu_secs = drained.me - start.me;
    report.loadtest_cpu_pct = my_pct(start, typed);
    if report.loadtest_cpu_pct > 90.0 {
        report.warnings.push(format!(
            "the loadtest used {:.0}% of a core while typing: it may be the bottleneck",
            report.loadtest_cpu_pct
        ));
    }
    let servers = delta(start.servers, drained.servers);
    let redis = delta(start.redis, drained.redis);
    let db = delta(start.db, drained.db);
    // What else kept the machine busy: other processes compete with the
    // servers for the same cores and inflate latency.
    if let (Some(a), Some(b)) = (start.machine, drained.machine) {
        let wall = drained.at.duration_since(start.at).as_secs_f64().max(1e-6);
        let ours = (drained.me - start.me)
            + servers.unwrap_or(0.0)
            + redis.unwrap_or(0.0)
            + db.unwrap_or(0.0);
        report.other_cpu_pct = Some((100.0 * ((b - a) - ours) / wall).max(0.0));
    }
    report.server_cpu_secs = servers;
    report.redis_cpu_secs = redis;
    report.db_cpu_secs = db;
    if let Some(all) = service_secs(start, drained)
        && report.deliveries > 0
    {
        report.server_cpu_secs_per_1000_deliveries = Some(all * 1000.0 / report.deliveries as f64);
    }
    if let (Some(a), Some(b)) = (start.switches, drained.switches)
        && report.deliveries > 0
    {
        let n = b.saturating_sub(a);
        report.service_context_switches = Some(n);
        report.context_switches_per_delivery = Some(n as f64 / report.deliveries as f64);
    }
}
