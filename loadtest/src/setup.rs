//! Getting a run ready: the servers' addresses, the rooms (created over
//! REST), who connects where, and the state every client task shares.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use crate::cli::{Args, Protocol};
use crate::client::{ClientSpec, Counters, Kind, Shared};
use crate::rest;
use crate::stats::{EditLog, Recorder};

/// The rooms of a run and who is in them.
pub struct Setup {
    pub rooms: Vec<String>,
    pub specs: Vec<ClientSpec>,
    pub http: reqwest::Client,
    pub http_bases: Vec<String>,
    ws_bases: Vec<String>,
    per_room: usize,
    protocol: Protocol,
}

impl Setup {
    pub fn new(args: &Args, per_room: usize, protocol: Protocol) -> anyhow::Result<Self> {
        let ws_bases = args
            .urls
            .iter()
            .map(|u| rest::ws_base(u))
            .collect::<Result<_, _>>()?;
        let http_bases = args
            .urls
            .iter()
            .map(|u| rest::http_base(u))
            .collect::<Result<_, _>>()?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            rooms: Vec::new(),
            specs: Vec::new(),
            http,
            http_bases,
            ws_bases,
            per_room,
            protocol,
        })
    }

    /// Creates `n` more rooms (`POST /api/rooms`, on every instance in
    /// turn, a few at a time) and returns their clients' specs (also kept
    /// in `self.specs`).
    pub async fn add_rooms(&mut self, n: usize, language: &str) -> anyhow::Result<&[ClientSpec]> {
        let first = self.rooms.len();
        let limit = Arc::new(Semaphore::new(8));
        let mut tasks = JoinSet::new();
        for r in first..first + n {
            let (http, base, lang, limit) = (
                self.http.clone(),
                self.http_bases[r % self.http_bases.len()].clone(),
                language.to_owned(),
                limit.clone(),
            );
            tasks.spawn(async move {
                let _p = limit.acquire_owned().await?;
                rest::create_room(&http, &base, &lang)
                    .await
                    .map(|id| (r, id))
            });
        }
        let mut ids = vec![String::new(); n];
        while let Some(res) = tasks.join_next().await {
            let (r, id) = res.context("room creation task")??;
            ids[r - first] = id;
        }
        let spec_start = self.specs.len();
        for (k, room_id) in ids.iter().enumerate() {
            let r = first + k;
            for i in 0..self.per_room {
                self.specs.push(self.spec(r, room_id, i));
            }
        }
        self.rooms.extend(ids);
        Ok(&self.specs[spec_start..])
    }

    fn spec(&self, r: usize, room_id: &str, i: usize) -> ClientSpec {
        let kind = match self.protocol {
            Protocol::Yjs => Kind::Yjs,
            Protocol::Json => Kind::Json,
            Protocol::Hocuspocus => Kind::Hocuspocus,
            Protocol::Mixed if i.is_multiple_of(2) => Kind::Yjs,
            Protocol::Mixed => Kind::Json,
        };
        let n = self.ws_bases.len();
        ClientSpec {
            room: r,
            room_id: room_id.to_owned(),
            index: i,
            id: (r * self.per_room + i) as u32,
            // Pairs straddle instances: client i of room r on url[(r+i) % n].
            ws_base: self.ws_bases[(r + i) % n].clone(),
            kind,
        }
    }
}

/// State for `clients` client tasks (the most a run will have).
pub fn shared(args: &Args, clients: usize, gap_us: u64) -> Arc<Shared> {
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

/// Mean gap between one client's edits at this rate, in microseconds.
pub fn gap_us(per_client_rate: f64) -> u64 {
    (1e6 / per_client_rate.max(1e-3)) as u64
}

/// Until `total` clients are synced (or failed), with a generous bound.
pub async fn wait_ready(shared: &Shared, total: usize) {
    let deadline =
        Instant::now() + Duration::from_secs(60) + Duration::from_millis(10 * total as u64);
    while shared.counters.ready.load(Ordering::Relaxed) < total && Instant::now() < deadline {
        let _ =
            tokio::time::timeout(Duration::from_millis(200), shared.ready_notify.notified()).await;
    }
}
