//! One load-test run: create rooms, connect everyone, type (steady or
//! ramping), drain, check convergence, report.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use crate::cli::{Args, Protocol};
use crate::client::{ClientSpec, Counters, Kind, Outcome, Phase, Shared, run_client};
use crate::converge::check_room;
use crate::marker::Marker;
use crate::procstat;
use crate::report::{Idle, Ramp, RampStep, Report, RoomFailure};
use crate::rest;
use crate::stats::{EditLog, LatencySummary, Recorder};

/// Quiet period that ends the drain, and its upper bound.
const QUIET: Duration = Duration::from_secs(2);
const MAX_DRAIN: Duration = Duration::from_secs(20);
/// How long the server's stored text may lag (persistence is batched).
const STORE_WAIT: Duration = Duration::from_secs(6);

struct Setup {
    rooms: Vec<String>,
    specs: Vec<ClientSpec>,
    http: reqwest::Client,
    http_bases: Vec<String>,
}

async fn setup(
    args: &Args,
    rooms: usize,
    per_room: usize,
    protocol: Protocol,
) -> anyhow::Result<Setup> {
    let ws_bases: Vec<String> = args
        .urls
        .iter()
        .map(|u| rest::ws_base(u))
        .collect::<Result<_, _>>()?;
    let http_bases: Vec<String> = args
        .urls
        .iter()
        .map(|u| rest::http_base(u))
        .collect::<Result<_, _>>()?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;

    // Rooms are created on every instance in turn, a few at a time.
    let limit = Arc::new(Semaphore::new(8));
    let mut tasks = JoinSet::new();
    for r in 0..rooms {
        let (http, base, lang, limit) = (
            http.clone(),
            http_bases[r % http_bases.len()].clone(),
            args.language.clone(),
            limit.clone(),
        );
        tasks.spawn(async move {
            let _p = limit.acquire_owned().await?;
            rest::create_room(&http, &base, &lang)
                .await
                .map(|id| (r, id))
        });
    }
    let mut ids = vec![String::new(); rooms];
    while let Some(res) = tasks.join_next().await {
        let (r, id) = res.context("room creation task")??;
        ids[r] = id;
    }

    let n = ws_bases.len();
    let mut specs = Vec::with_capacity(rooms * per_room);
    for (r, room_id) in ids.iter().enumerate() {
        for i in 0..per_room {
            let kind = match protocol {
                Protocol::Yjs => Kind::Yjs,
                Protocol::Json => Kind::Json,
                Protocol::Mixed if i % 2 == 0 => Kind::Yjs,
                Protocol::Mixed => Kind::Json,
            };
            specs.push(ClientSpec {
                room: r,
                room_id: room_id.clone(),
                index: i,
                id: (r * per_room + i) as u32,
                // Pairs straddle instances: client i of room r on url[(r+i) % n].
                ws_base: ws_bases[(r + i) % n].clone(),
                kind,
            });
        }
    }
    Ok(Setup {
        rooms: ids,
        specs,
        http,
        http_bases,
    })
}

fn shared(args: &Args, clients: usize, gap_us: u64) -> Arc<Shared> {
    Arc::new(Shared {
        log: EditLog::new(Instant::now(), clients),
        rec: Recorder::default(),
        counters: Counters::default(),
        gap_us: gap_us.into(),
        ready_notify: Notify::new(),
        connect_limit: Semaphore::new(args.connect_concurrency.max(1)),
        seed: args.seed,
        awareness: args.awareness,
    })
}

fn gap_us(per_client_rate: f64) -> u64 {
    (1e6 / per_client_rate.max(1e-3)) as u64
}

async fn wait_ready(shared: &Shared, total: usize) {
    let deadline =
        Instant::now() + Duration::from_secs(60) + Duration::from_millis(10 * total as u64);
    while shared.counters.ready.load(Ordering::Relaxed) < total && Instant::now() < deadline {
        let _ =
            tokio::time::timeout(Duration::from_millis(200), shared.ready_notify.notified()).await;
    }
}

/// CPU seconds of ourselves, the servers and Redis at one moment.
#[derive(Clone, Copy)]
struct CpuMark {
    at: Instant,
    me: f64,
    servers: Option<f64>,
    redis: Option<f64>,
    machine: Option<f64>,
}

fn cpu_mark(args: &Args) -> CpuMark {
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
        redis: args.redis_pid.and_then(procstat::cpu_seconds),
        machine: procstat::machine_busy_seconds(),
    }
}

/// Our CPU use between two marks in % of one core.
fn my_pct(a: CpuMark, b: CpuMark) -> f64 {
    let wall = b.at.duration_since(a.at).as_secs_f64().max(1e-6);
    100.0 * (b.me - a.me) / wall
}

struct Progress {
    last_at: Instant,
    last_sent: u64,
    last_delivered: u64,
    started: Instant,
}

impl Progress {
    fn new() -> Self {
        let now = Instant::now();
        Self {
            last_at: now,
            last_sent: 0,
            last_delivered: 0,
            started: now,
        }
    }

    fn line(&mut self, shared: &Shared, quiet: bool) {
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
async fn type_for(shared: &Shared, duration: Duration, progress: &mut Progress, quiet: bool) {
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

/// Steps the per-client rate up until p99 passes the limit or the time
/// budget is spent.
async fn ramp(
    args: &Args,
    shared: &Shared,
    phase: &watch::Sender<Phase>,
    clients: usize,
    progress: &mut Progress,
) -> Ramp {
    let mut ramp = Ramp {
        p99_limit_ms: args.ramp_p99_ms,
        ..Ramp::default()
    };
    let budget_end = Instant::now() + args.duration;
    let mut rate = args.edits_per_sec;
    let mut max_ok = 0.0f64;
    loop {
        shared.gap_us.store(gap_us(rate), Ordering::Relaxed);
        let _ = phase.send(Phase::Typing); // wakes clients to reschedule
        let target = rate * clients as f64;
        let a = cpu_mark(args);
        let sent0 = shared.counters.sent.load(Ordering::Relaxed);
        let deliv0 = shared.rec.delivered.load(Ordering::Relaxed);
        // Warm up for a second at the new rate, then measure.
        type_for(shared, Duration::from_secs(1), progress, args.quiet).await;
        let _ = shared.rec.take_interval();
        type_for(
            shared,
            args.step.saturating_sub(Duration::from_secs(1)),
            progress,
            args.quiet,
        )
        .await;
        let h = shared.rec.take_interval();
        let b = cpu_mark(args);
        let secs = b.at.duration_since(a.at).as_secs_f64();
        let step = RampStep {
            target_edits_per_sec: target,
            edits_per_sec: (shared.counters.sent.load(Ordering::Relaxed) - sent0) as f64 / secs,
            deliveries_per_sec: (shared.rec.delivered.load(Ordering::Relaxed) - deliv0) as f64
                / secs,
            latency: LatencySummary::of(&h),
            loadtest_cpu_pct: my_pct(a, b),
        };
        if !args.quiet {
            eprintln!(
                "ramp step: target {:.0}/s sent {:.0}/s p99 {:.3} ms",
                step.target_edits_per_sec, step.edits_per_sec, step.latency.p99_ms
            );
        }
        ramp.steps.push(step.clone());
        let time_left = Instant::now() + args.step <= budget_end;
        match judge_step(&step, args.ramp_p99_ms, time_left) {
            StepVerdict::Continue { sustained_rate } => {
                max_ok = max_ok.max(sustained_rate);
            }
            StepVerdict::Stop {
                sustained_rate,
                because,
            } => {
                max_ok = max_ok.max(sustained_rate.unwrap_or(0.0));
                ramp.stopped_because = because;
                break;
            }
        }
        rate *= args.ramp_factor;
    }
    ramp.max_sustained_edits_per_sec = max_ok;
    ramp
}

#[derive(Debug, PartialEq)]
enum StepVerdict {
    Continue {
        sustained_rate: f64,
    },
    Stop {
        sustained_rate: Option<f64>,
        because: String,
    },
}

/// Whether a ramp step counts (p99 within the limit and at least 90% of
/// the target rate actually sent) and whether to go on.
fn judge_step(step: &RampStep, p99_limit_ms: f64, time_left: bool) -> StepVerdict {
    let sustained = step.edits_per_sec >= 0.9 * step.target_edits_per_sec && step.latency.count > 0;
    let under = step.latency.p99_ms <= p99_limit_ms;
    let ok_rate = (sustained && under).then_some(step.edits_per_sec);
    let because = if !under {
        format!("p99 {:.1} ms over {} ms", step.latency.p99_ms, p99_limit_ms)
    } else if !sustained {
        format!(
            "sent only {:.0} of {:.0} edits/s",
            step.edits_per_sec, step.target_edits_per_sec
        )
    } else if step.loadtest_cpu_pct > 180.0 {
        format!("loadtest itself used {:.0}% CPU", step.loadtest_cpu_pct)
    } else if !time_left {
        "time budget (--duration) spent".into()
    } else {
        return StepVerdict::Continue {
            sustained_rate: step.edits_per_sec,
        };
    };
    StepVerdict::Stop {
        sustained_rate: ok_rate,
        because,
    }
}

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let per_room = args.clients_per_room.max(1);
    let setup = setup(args, args.rooms, per_room, args.protocol).await?;
    let total = setup.specs.len();
    let shared = shared(args, total, gap_us(args.edits_per_sec));
    let (phase_tx, phase_rx) = watch::channel(Phase::Connecting);
    let mut tasks = JoinSet::new();
    for spec in setup.specs.clone() {
        tasks.spawn(run_client(spec, shared.clone(), phase_rx.clone()));
    }
    wait_ready(&shared, total).await;
    if !args.quiet {
        eprintln!(
            "{total} clients connected in {} rooms; typing",
            setup.rooms.len()
        );
    }

    let start = cpu_mark(args);
    let _ = phase_tx.send(Phase::Typing);
    let mut progress = Progress::new();
    let ramp_result = if args.ramp {
        Some(ramp(args, &shared, &phase_tx, total, &mut progress).await)
    } else {
        type_for(&shared, args.duration, &mut progress, args.quiet).await;
        None
    };
    let typed = cpu_mark(args);
    let _ = phase_tx.send(Phase::Quiet);
    drain(&shared, per_room, total).await;
    let drained = cpu_mark(args);
    let _ = phase_tx.send(Phase::Done);

    let mut outcomes: Vec<Outcome> = Vec::with_capacity(total);
    let mut crashed = 0u64;
    while let Some(res) = tasks.join_next().await {
        match res {
            Ok(o) => outcomes.push(o),
            Err(e) => {
                eprintln!("client task failed: {e}");
                crashed += 1;
            }
        }
    }
    outcomes.sort_by_key(|o| o.spec.id);
    // A crashed client counts as a dropped connection.
    shared
        .counters
        .disconnects
        .fetch_add(crashed, Ordering::Relaxed);

    let mut report = Report {
        label: args.label.clone(),
        urls: args.urls.clone(),
        protocol: format!("{:?}", args.protocol).to_lowercase(),
        rooms: args.rooms,
        clients_per_room: per_room,
        edits_per_sec_per_client: args.edits_per_sec,
        ramp: ramp_result,
        ..Report::default()
    };
    finish(
        &mut report,
        &setup,
        &shared,
        &outcomes,
        start,
        typed,
        drained,
    )
    .await;
    Ok(report)
}

/// Waits until every expected delivery arrived or nothing arrived for
/// `QUIET`, at most `MAX_DRAIN`.
async fn drain(shared: &Shared, per_room: usize, total: usize) {
    let started = Instant::now();
    let ready_ok = shared.counters.connect_failures.load(Ordering::Relaxed) == 0;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let sent = shared.counters.sent.load(Ordering::Relaxed);
        let delivered = shared.rec.delivered.load(Ordering::Relaxed);
        let expected = sent * (per_room as u64 - 1);
        if ready_ok && delivered >= expected && total > 0 {
            break;
        }
        let last = shared.rec.last_delivery_ns.load(Ordering::Relaxed);
        let idle_for = shared.log.now_ns().saturating_sub(last);
        if Duration::from_nanos(idle_for) >= QUIET || started.elapsed() >= MAX_DRAIN {
            break;
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    report: &mut Report,
    setup: &Setup,
    shared: &Shared,
    outcomes: &[Outcome],
    start: CpuMark,
    typed: CpuMark,
    drained: CpuMark,
) {
    let c = &shared.counters;
    let typing_secs = typed.at.duration_since(start.at).as_secs_f64().max(1e-6);
    report.typing_secs = typing_secs;
    report.edits_sent = c.sent.load(Ordering::Relaxed);
    report.edits_per_sec = report.edits_sent as f64 / typing_secs;
    report.latency = LatencySummary::of(&shared.rec.total());
    report.late_detected = c.late_detected.load(Ordering::Relaxed);
    report.deliveries = shared.rec.delivered.load(Ordering::Relaxed) + report.late_detected;
    report.deliveries_per_sec = shared.rec.delivered.load(Ordering::Relaxed) as f64 / typing_secs;
    report.unknown_markers = c.unknown_markers.load(Ordering::Relaxed);
    report.connect_failures = c.connect_failures.load(Ordering::Relaxed);
    report.disconnects = c.disconnects.load(Ordering::Relaxed);
    report.protocol_errors = c.protocol_errors.load(Ordering::Relaxed);

    // Per room: lost deliveries, then convergence against the stored text.
    for (r, room_id) in setup.rooms.iter().enumerate() {
        let members: Vec<&Outcome> = outcomes.iter().filter(|o| o.spec.room == r).collect();
        let alive = members.iter().filter(|o| o.text.is_some()).count() as u32;
        let mut sent: Vec<Marker> = Vec::new();
        for o in &members {
            let n = shared.log.sent_by(o.spec.id).len() as u32;
            sent.extend((0..n).map(|s| Marker::new(o.spec.id, s)));
            let receivers = alive - u32::from(o.text.is_some());
            report.expected_deliveries += u64::from(n) * u64::from(receivers);
            report.lost_deliveries += shared.log.lost_for(o.spec.id, receivers);
        }
        let texts: Vec<&str> = members.iter().filter_map(|o| o.text.as_deref()).collect();
        let server = stored_text(setup, r, room_id, texts.first().copied()).await;
        let verdict = check_room(&texts, server.as_deref(), &sent);
        report.rooms_checked += 1;
        report.rooms_diverged += usize::from(!verdict.converged);
        report.rooms_missing_edits += usize::from(verdict.missing_edits > 0);
        report.rooms_duplicated_edits += usize::from(verdict.duplicated_edits > 0);
        if !verdict.ok() && report.room_failures.len() < 5 {
            report.room_failures.push(RoomFailure {
                room_id: room_id.clone(),
                verdict,
            });
        }
    }
    for o in outcomes.iter().filter(|o| o.error.is_some()).take(5) {
        report.warnings.push(format!(
            "client {} (room {}): {}",
            o.spec.id,
            o.spec.room_id,
            o.error.as_deref().unwrap_or("")
        ));
    }

    cpu_figures(report, start, typed, drained);
    report.ok = report.lost_deliveries == 0
        && report.rooms_diverged == 0
        && report.rooms_missing_edits == 0
        && report.rooms_duplicated_edits == 0
        && report.connect_failures == 0
        && report.disconnects == 0
        && report.protocol_errors == 0
        && report.unknown_markers == 0
        && report.edits_sent > 0;
}

fn cpu_figures(report: &mut Report, start: CpuMark, typed: CpuMark, drained: CpuMark) {
    report.loadtest_cpu_secs = drained.me - start.me;
    report.loadtest_cpu_pct = my_pct(start, typed);
    if report.loadtest_cpu_pct > 90.0 {
        report.warnings.push(format!(
            "the loadtest used {:.0}% of a core while typing: it may be the bottleneck",
            report.loadtest_cpu_pct
        ));
    }
    // Server CPU over typing plus drain: the drain delivers the tail of
    // what was typed.
    let servers = match (start.servers, drained.servers) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let redis = match (start.redis, drained.redis) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    // What else kept the machine busy: other processes compete with the
    // servers for the same cores and inflate latency.
    if let (Some(a), Some(b)) = (start.machine, drained.machine) {
        let wall = drained.at.duration_since(start.at).as_secs_f64().max(1e-6);
        let ours = (drained.me - start.me) + servers.unwrap_or(0.0) + redis.unwrap_or(0.0);
        report.other_cpu_pct = Some((100.0 * ((b - a) - ours) / wall).max(0.0));
    }
    report.server_cpu_secs = servers;
    report.redis_cpu_secs = redis;
    if let Some(s) = servers {
        let all = s + redis.unwrap_or(0.0);
        if report.deliveries > 0 {
            report.server_cpu_secs_per_1000_deliveries =
                Some(all * 1000.0 / report.deliveries as f64);
        }
    }
}

/// The room's code as stored, polled until it equals the clients' text or
/// `STORE_WAIT` passes (persistence is batched). Any instance can answer;
/// one that does not is skipped.
async fn stored_text(setup: &Setup, r: usize, room_id: &str, want: Option<&str>) -> Option<String> {
    let n = setup.http_bases.len();
    let deadline = Instant::now() + STORE_WAIT;
    let mut last = None;
    let mut attempt = 0;
    loop {
        let base = &setup.http_bases[(r + attempt) % n];
        match rest::room_code(&setup.http, base, room_id).await {
            Ok(code) => {
                if want.is_none() || want == Some(code.as_str()) {
                    return Some(code);
                }
                last = Some(code);
            }
            Err(e) => {
                eprintln!("warning: {e:#}");
                attempt += 1;
            }
        }
        if Instant::now() >= deadline {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `--idle N --pid PID`: memory per idle Yjs connection.
pub async fn idle(args: &Args, n: usize) -> anyhow::Result<Report> {
    let pid = args
        .pid
        .context("--idle needs --pid (the server to measure)")?;
    let rooms = args.rooms.clamp(1, n.max(1));
    let per_room = n.div_ceil(rooms);
    let setup = setup(args, rooms, per_room, Protocol::Yjs).await?;
    let specs: Vec<ClientSpec> = setup.specs.into_iter().take(n).collect();
    let shared = shared(args, specs.len(), gap_us(1.0));
    let (phase_tx, phase_rx) = watch::channel(Phase::Connecting);
    let mut tasks = JoinSet::new();

    // One connection per room first, so the rooms' documents are loaded
    // before the baseline: what remains is the cost of connections.
    let (first, rest_specs): (Vec<_>, Vec<_>) = specs.into_iter().partition(|s| s.index == 0);
    let first_n = first.len();
    for s in first {
        tasks.spawn(run_client(s, shared.clone(), phase_rx.clone()));
    }
    wait_ready(&shared, first_n).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = procstat::rss_kib(pid).context("reading the server's VmRSS")?;
    let rest_n = rest_specs.len();
    for s in rest_specs {
        tasks.spawn(run_client(s, shared.clone(), phase_rx.clone()));
    }
    wait_ready(&shared, first_n + rest_n).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = procstat::rss_kib(pid).context("reading the server's VmRSS")?;
    let failures = shared.counters.connect_failures.load(Ordering::Relaxed);
    let connected = (first_n + rest_n).saturating_sub(failures as usize);
    let _ = phase_tx.send(Phase::Done);
    let mut outcomes = 0;
    while let Some(res) = tasks.join_next().await {
        outcomes += usize::from(res.is_ok());
    }
    let _ = outcomes;

    let measured = rest_n.saturating_sub(failures as usize).max(1);
    let c = &shared.counters;
    let mut report = Report {
        label: args.label.clone(),
        urls: args.urls.clone(),
        protocol: "yjs".into(),
        rooms,
        clients_per_room: per_room,
        connect_failures: failures,
        disconnects: c.disconnects.load(Ordering::Relaxed),
        protocol_errors: c.protocol_errors.load(Ordering::Relaxed),
        idle: Some(Idle {
            requested: n,
            connected,
            rooms,
            rss_before_kib: before,
            rss_after_kib: after,
            kib_per_connection: after.saturating_sub(before) as f64 / measured as f64,
        }),
        ..Report::default()
    };
    report.ok = failures == 0 && report.disconnects == 0;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(target: f64, sent: f64, p99: f64) -> RampStep {
        RampStep {
            target_edits_per_sec: target,
            edits_per_sec: sent,
            deliveries_per_sec: sent,
            latency: LatencySummary {
                count: 100,
                p99_ms: p99,
                ..LatencySummary::default()
            },
            loadtest_cpu_pct: 10.0,
        }
    }

    #[test]
    fn ramp_steps_are_judged_on_latency_rate_and_time() {
        assert_eq!(
            judge_step(&step(100.0, 99.0, 10.0), 50.0, true),
            StepVerdict::Continue {
                sustained_rate: 99.0
            }
        );
        match judge_step(&step(100.0, 99.0, 60.0), 50.0, true) {
            StepVerdict::Stop {
                sustained_rate: None,
                because,
            } => assert!(because.contains("p99")),
            other => panic!("{other:?}"),
        }
        match judge_step(&step(100.0, 80.0, 10.0), 50.0, true) {
            StepVerdict::Stop {
                sustained_rate: None,
                because,
            } => assert!(because.contains("sent only")),
            other => panic!("{other:?}"),
        }
        // The last step within budget still counts.
        assert_eq!(
            judge_step(&step(100.0, 95.0, 10.0), 50.0, false),
            StepVerdict::Stop {
                sustained_rate: Some(95.0),
                because: "time budget (--duration) spent".into()
            }
        );
    }
}
