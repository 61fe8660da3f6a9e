//! One load-test run: create rooms, connect everyone, type (steady or
//! ramping), drain, check convergence, report.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::cli::Args;
use crate::client::{Outcome, Phase, Shared};
use crate::converge::check_room;
use crate::cpu::{self, CpuMark};
use crate::marker::Marker;
use crate::progress::{Progress, type_for};
use crate::ramp::{Crowd, ramp};
use crate::report::{Report, RoomFailure};
use crate::rest;
use crate::setup::{Setup, gap_us, shared, wait_ready};
use crate::stats::LatencySummary;

/// Quiet period that ends the drain, and its upper bound.
const QUIET: Duration = Duration::from_secs(2);
const MAX_DRAIN: Duration = Duration::from_secs(20);
/// How long the server's stored text may lag (persistence is batched).
const STORE_WAIT: Duration = Duration::from_secs(6);

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let per_room = args.clients_per_room.max(1);
    let mut setup = Setup::new(args, per_room, args.protocol)?;
    setup.add_rooms(args.rooms, &args.language).await?;
    // A room ramp adds clients as it goes; the log has a slot for each.
    let most_clients = if args.ramp && args.ramp_by == crate::cli::RampBy::Rooms {
        args.ramp_max_rooms.max(args.rooms) * per_room
    } else {
        setup.specs.len()
    };
    let shared = shared(args, most_clients, gap_us(args.edits_per_sec));
    let (phase_tx, _) = watch::channel(Phase::Connecting);
    let mut crowd = Crowd {
        tasks: JoinSet::new(),
        phase: phase_tx,
    };
    crowd.spawn(&setup.specs, &shared);
    wait_ready(&shared, setup.specs.len()).await;
    if !args.quiet {
        eprintln!(
            "{} clients connected in {} rooms; typing",
            setup.specs.len(),
            setup.rooms.len()
        );
    }

    let start = cpu::mark(args);
    let _ = crowd.phase.send(Phase::Typing);
    let mut progress = Progress::new();
    let ramp_result = if args.ramp {
        Some(ramp(args, &mut setup, &shared, &mut crowd, &mut progress).await?)
    } else {
        type_for(&shared, args.duration, &mut progress, args.quiet).await;
        None
    };
    let typed = cpu::mark(args);
    let _ = crowd.phase.send(Phase::Quiet);
    drain(&shared, per_room, setup.specs.len()).await;
    let drained = cpu::mark(args);
    let _ = crowd.phase.send(Phase::Done);

    let mut outcomes: Vec<Outcome> = Vec::with_capacity(setup.specs.len());
    let mut crashed = 0u64;
    while let Some(res) = crowd.tasks.join_next().await {
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
        rooms: setup.rooms.len(),
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

    cpu::figures(report, start, typed, drained);
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
