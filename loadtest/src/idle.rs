//! `--idle N`: what idle connections cost a server: resident memory per
//! connection, and the CPU the servers (with Redis and the database) spend
//! while nobody types.

use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::cli::{Args, Protocol};
use crate::client::{ClientSpec, Phase, run_client};
use crate::cpu;
use crate::procstat;
use crate::report::{Idle, Report};
use crate::setup::{Setup, gap_us, shared, wait_ready};

/// Summed VmRSS of the measured servers.
fn rss_kib(pids: &[u32]) -> anyhow::Result<u64> {
    pids.iter()
        .map(|p| procstat::rss_kib(*p).with_context(|| format!("reading VmRSS of pid {p}")))
        .sum()
}

pub async fn idle(args: &Args, n: usize) -> anyhow::Result<Report> {
    let pids: Vec<u32> = match args.pid {
        Some(p) => vec![p],
        None => args.server_pids.clone(),
    };
    anyhow::ensure!(
        !pids.is_empty(),
        "--idle needs --pid or --server-pids (the servers to measure)"
    );
    let protocol = match args.protocol {
        Protocol::Hocuspocus => Protocol::Hocuspocus,
        _ => Protocol::Yjs,
    };
    let rooms = args.rooms.clamp(1, n.max(1));
    let per_room = n.div_ceil(rooms);
    let mut setup = Setup::new(args, per_room, protocol)?;
    setup.add_rooms(rooms, &args.language).await?;
    let specs: Vec<ClientSpec> = setup.specs.iter().take(n).cloned().collect();
    let shared = shared(args, setup.specs.len(), gap_us(1.0));
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
    let before = rss_kib(&pids)?;
    let rest_n = rest_specs.len();
    for s in rest_specs {
        tasks.spawn(run_client(s, shared.clone(), phase_rx.clone()));
    }
    wait_ready(&shared, first_n + rest_n).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rss_kib(&pids)?;
    // Quiet now: whatever the servers do is per-connection or per-room
    // upkeep (pings, heartbeats, timers).
    let a = cpu::mark(args);
    tokio::time::sleep(args.idle_hold).await;
    let b = cpu::mark(args);
    let failures = shared.counters.connect_failures.load(Ordering::Relaxed);
    let connected = (first_n + rest_n).saturating_sub(failures as usize);
    let _ = phase_tx.send(Phase::Done);
    while tasks.join_next().await.is_some() {}

    let measured = rest_n.saturating_sub(failures as usize).max(1);
    let hold_secs = b.at.duration_since(a.at).as_secs_f64().max(1e-6);
    let cpu_pct = cpu::service_secs(a, b).map(|s| 100.0 * s / hold_secs);
    let c = &shared.counters;
    let mut report = Report {
        label: args.label.clone(),
        urls: args.urls.clone(),
        protocol: format!("{protocol:?}").to_lowercase(),
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
            hold_secs,
            cpu_pct,
            cpu_pct_per_1000_connections: cpu_pct.map(|p| p * 1000.0 / connected.max(1) as f64),
        }),
        ..Report::default()
    };
    report.ok = failures == 0 && report.disconnects == 0;
    Ok(report)
}
