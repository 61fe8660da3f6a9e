//! Command line.

use std::time::Duration;

use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// y-websocket binary protocol on /yjs/{room}
    Yjs,
    /// JSON full-text protocol on /ws/{room}
    Json,
    /// alternate: even client indexes Yjs, odd ones JSON
    Mixed,
    /// Yjs in Hocuspocus's framing (document name = room id, token auth),
    /// to measure a Hocuspocus server with the same clients
    Hocuspocus,
}

/// What a ramp raises each step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RampBy {
    /// every client's rate, in the same rooms
    Rate,
    /// the number of rooms (with `--clients-per-room` each), at the same
    /// per-client rate
    Rooms,
}

/// Simulated collaborators typing into pairprog rooms; measures edit
/// latency between them and checks that every room converges.
#[derive(Clone, Debug, Parser)]
#[command(name = "loadtest", version)]
pub struct Args {
    /// Server WebSocket base URL (repeat for several instances); clients of a
    /// room are spread round-robin over them.
    #[arg(long = "url", required = true, num_args = 1)]
    pub urls: Vec<String>,

    /// Rooms to create.
    #[arg(long, default_value_t = 10)]
    pub rooms: usize,

    /// Simulated people per room.
    #[arg(long, default_value_t = 2)]
    pub clients_per_room: usize,

    /// Edits per second per client (mean; each gap is jittered ±50%).
    #[arg(long, default_value_t = 2.0)]
    pub edits_per_sec: f64,

    /// How long to type, e.g. 30s, 500ms, 2m.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,

    #[arg(long, value_enum, default_value_t = Protocol::Yjs)]
    pub protocol: Protocol,

    /// Language of the created rooms.
    #[arg(long, default_value = "python")]
    pub language: String,

    /// Write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,

    /// Label stored in the JSON results.
    #[arg(long, default_value = "")]
    pub label: String,

    /// Server process ids (comma separated) whose CPU time to report.
    #[arg(long, value_delimiter = ',')]
    pub server_pids: Vec<u32>,

    /// Redis process id, counted with the servers' CPU time.
    #[arg(long)]
    pub redis_pid: Option<u32>,

    /// Database process id (Postgres's postmaster), counted with its
    /// children (the backends) in the servers' CPU time.
    #[arg(long)]
    pub db_pid: Option<u32>,

    /// Ramp mode: raise the load by `--ramp-factor` every `--step` until
    /// p99 exceeds `--ramp-p99-ms` or an edit goes missing; report the
    /// highest rate sustained. `--duration` bounds the whole ramp.
    #[arg(long)]
    pub ramp: bool,

    /// What the ramp raises.
    #[arg(long, value_enum, default_value_t = RampBy::Rate)]
    pub ramp_by: RampBy,

    /// Upper bound on rooms for `--ramp-by rooms`.
    #[arg(long, default_value_t = 2000)]
    pub ramp_max_rooms: usize,

    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub step: Duration,

    #[arg(long, default_value_t = 1.5)]
    pub ramp_factor: f64,

    #[arg(long, default_value_t = 50.0)]
    pub ramp_p99_ms: f64,

    /// Idle mode: open this many idle Yjs connections and report the memory
    /// per connection of `--pid`.
    #[arg(long)]
    pub idle: Option<usize>,

    /// Server process to measure in idle mode (default: `--server-pids`,
    /// their memory added up).
    #[arg(long)]
    pub pid: Option<u32>,

    /// Idle mode: how long to measure the CPU the servers (and Redis and
    /// the database) use for the idle connections, once all are open.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub idle_hold: Duration,

    /// Yjs clients also send an awareness (cursor) update after each edit,
    /// as a browser editor does.
    #[arg(long)]
    pub awareness: bool,

    /// Random seed (the typing pattern is reproducible per seed).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Connections opened concurrently while connecting.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,

    /// No progress lines.
    #[arg(long)]
    pub quiet: bool,
}

/// Parses `30s`, `500ms`, `2m`, `1h` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num.parse().map_err(|_| format!("bad duration {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("bad duration unit in {s:?} (use ms, s, m or h)")),
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("bad duration {s:?}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("3x").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn the_documented_command_line_parses() {
        let a = Args::try_parse_from([
            "loadtest",
            "--url",
            "ws://127.0.0.1:8001",
            "--url",
            "ws://127.0.0.1:8002",
            "--rooms",
            "100",
            "--clients-per-room",
            "4",
            "--edits-per-sec",
            "3",
            "--duration",
            "30s",
            "--protocol",
            "mixed",
            "--server-pids",
            "1,2",
        ])
        .unwrap();
        assert_eq!(a.urls.len(), 2);
        assert_eq!(a.protocol, Protocol::Mixed);
        assert_eq!(a.server_pids, vec![1, 2]);
        assert_eq!(a.duration, Duration::from_secs(30));
        assert_eq!(a.ramp_by, RampBy::Rate);
    }

    #[test]
    fn the_bench_command_lines_parse() {
        let a = Args::try_parse_from([
            "loadtest",
            "--url",
            "ws://127.0.0.1:9001",
            "--protocol",
            "hocuspocus",
            "--ramp",
            "--ramp-by",
            "rooms",
            "--db-pid",
            "7",
            "--idle-hold",
            "5s",
        ])
        .unwrap();
        assert_eq!(a.protocol, Protocol::Hocuspocus);
        assert_eq!(a.ramp_by, RampBy::Rooms);
        assert_eq!(a.db_pid, Some(7));
        assert_eq!(a.idle_hold, Duration::from_secs(5));
    }
}
