//! One simulated collaborator: connects, syncs, types at its rate while the
//! run is in its typing phase, records every new marker it receives, and
//! hands back its final text when the run ends.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;

use crate::framing::{Framing, Inbound};
use crate::handshake::open;
use crate::json_text::JsonText;
use crate::marker::{self, MAX_MARKER_LEN, Marker};
use crate::stats::{Delivery, EditLog, Recorder};
use crate::typist::Typist;
use crate::yjs::YjsPeer;

/// Where the run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Connecting,
    Typing,
    /// Stop typing, keep receiving.
    Quiet,
    /// Report the final text and close.
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Yjs,
    Json,
    /// Yjs in Hocuspocus's framing (document name = room id).
    Hocuspocus,
}

#[derive(Clone, Debug)]
pub struct ClientSpec {
    pub room: usize,
    pub room_id: String,
    pub index: usize,
    /// Global id, unique in the run; the marker's client number.
    pub id: u32,
    pub ws_base: String,
    pub kind: Kind,
}

/// Counters shared by every client of a run.
#[derive(Default)]
pub struct Counters {
    pub sent: AtomicU64,
    pub connect_failures: AtomicU64,
    pub disconnects: AtomicU64,
    pub protocol_errors: AtomicU64,
    pub unknown_markers: AtomicU64,
    /// Markers first noticed in a client's final text rather than when they
    /// arrived (no latency sample).
    pub late_detected: AtomicU64,
    pub ready: AtomicUsize,
}

/// What every client task shares.
pub struct Shared {
    pub log: EditLog,
    pub rec: Recorder,
    pub counters: Counters,
    /// Mean gap between one client's edits, in microseconds (the ramp changes it).
    pub gap_us: AtomicU64,
    pub ready_notify: Notify,
    pub connect_limit: Semaphore,
    pub seed: u64,
    /// Yjs clients follow each edit with an awareness (cursor) update.
    pub awareness: bool,
}

pub struct Outcome {
    pub spec: ClientSpec,
    /// Final text; `None` if the client failed or dropped.
    pub text: Option<String>,
    pub error: Option<String>,
}

pub(crate) enum Doc {
    Yjs(YjsPeer, Framing),
    Json(JsonText),
}

#[derive(Deserialize)]
pub(crate) struct JsonIn {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) code: Option<String>,
}

#[derive(serde::Serialize)]
struct JsonOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    code: &'a str,
    #[serde(rename = "cursorPosition")]
    cursor_position: usize,
}

pub(crate) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn run_client(
    spec: ClientSpec,
    shared: Arc<Shared>,
    mut phase: watch::Receiver<Phase>,
) -> Outcome {
    let result = drive(&spec, &shared, &mut phase).await;
    match result {
        Ok(text) => Outcome {
            spec,
            text: Some(text),
            error: None,
        },
        Err(e) => Outcome {
            spec,
            text: None,
            error: Some(format!("{e:#}")),
        },
    }
}

/// Records the first sighting of each of `found` (others' markers) at `at_ns`.
fn deliver(
    spec: &ClientSpec,
    shared: &Shared,
    seen: &mut HashSet<u64>,
    found: &mut Vec<Marker>,
    at_ns: u64,
) {
    for m in found.drain(..) {
        if m.client != spec.id && seen.insert(m.key()) {
            match shared.log.deliver(m, at_ns) {
                Delivery::Fresh(us) => shared.rec.record(spec.id as usize, us, at_ns),
                Delivery::Unknown => {
                    shared
                        .counters
                        .unknown_markers
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

async fn drive(
    spec: &ClientSpec,
    shared: &Shared,
    phase: &mut watch::Receiver<Phase>,
) -> anyhow::Result<String> {
    let (mut ws, mut doc, mut found, opened_at) = match open(spec, shared).await {
        Ok(x) => x,
        Err(e) => {
            shared
                .counters
                .connect_failures
                .fetch_add(1, Ordering::Relaxed);
            shared.counters.ready.fetch_add(1, Ordering::Relaxed);
            shared.ready_notify.notify_one();
            return Err(e);
        }
    };
    shared.counters.ready.fetch_add(1, Ordering::Relaxed);
    shared.ready_notify.notify_one();

    let mut typist = Typist::new(spec.id, shared.seed);
    let mut rng = SmallRng::seed_from_u64(shared.seed.wrapping_add(u64::from(spec.id)));
    let mut seen: HashSet<u64> = HashSet::new();
    let mut replies = Vec::new();
    deliver(spec, shared, &mut seen, &mut found, opened_at);
    // The first edit comes at a random point of the first gap, so clients
    // do not type in lockstep.
    let mut next_edit: Option<Instant> = None;
    let mut scheduled_gap = 0u64;
    let mut pending_awareness: Option<Message> = None;

    loop {
        let now_phase = *phase.borrow();
        if now_phase == Phase::Done {
            break;
        }
        // (Re)schedule at a random point of the first gap when typing starts
        // or the ramp changes the rate (it re-sends `Typing` to wake us).
        let gap_now = shared.gap_us.load(Ordering::Relaxed);
        if now_phase == Phase::Typing && (next_edit.is_none() || gap_now != scheduled_gap) {
            scheduled_gap = gap_now;
            let first = (gap_now as f64 * rng.random::<f64>()) as u64;
            next_edit = Some(Instant::now() + Duration::from_micros(first));
        }
        if now_phase != Phase::Typing {
            next_edit = None;
        }
        let edit_at = next_edit.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));

        tokio::select! {
            msg = ws.next() => {
                let at_ns = shared.log.now_ns();
                let msg = match msg {
                    None => anyhow::bail!("server closed the connection"),
                    Some(Err(e)) => {
                        shared.counters.disconnects.fetch_add(1, Ordering::Relaxed);
                        anyhow::bail!("connection lost: {e}");
                    }
                    Some(Ok(m)) => m,
                };
                found.clear();
                match (&mut doc, msg) {
                    (Doc::Yjs(peer, framing), Message::Binary(b)) => {
                        match framing.unwrap(&b) {
                            Ok(Inbound::Yjs(m)) => {
                                if let Err(e) = peer.handle(&m, &mut replies) {
                                    shared.counters.protocol_errors.fetch_add(1, Ordering::Relaxed);
                                    eprintln!("client {}: {e}", spec.id);
                                }
                            }
                            Ok(Inbound::Closed(why)) | Ok(Inbound::Denied(why)) => {
                                shared.counters.disconnects.fetch_add(1, Ordering::Relaxed);
                                anyhow::bail!("server closed the document: {why}");
                            }
                            Ok(Inbound::Authenticated(_) | Inbound::Ignored) => {}
                            Err(e) => {
                                shared.counters.protocol_errors.fetch_add(1, Ordering::Relaxed);
                                eprintln!("client {}: {e}", spec.id);
                            }
                        }
                        peer.take_inserted(|s| marker::scan(s, |m| found.push(m)));
                        for r in replies.drain(..) {
                            ws.feed(Message::binary(framing.wrap(r))).await?;
                        }
                        ws.flush().await?;
                    }
                    (Doc::Json(j), Message::Text(t)) => {
                        let m: JsonIn = match serde_json::from_str(&t) {
                            Ok(m) => m,
                            Err(_) => {
                                shared.counters.protocol_errors.fetch_add(1, Ordering::Relaxed);
                                continue;
                            }
                        };
                        match (m.kind.as_str(), m.code) {
                            ("code_update", Some(code)) => {
                                j.receive(code, MAX_MARKER_LEN, |region| {
                                    marker::scan(region, |m| found.push(m));
                                });
                            }
                            ("error", _) => {
                                shared.counters.protocol_errors.fetch_add(1, Ordering::Relaxed);
                                eprintln!("client {}: server error message: {t}", spec.id);
                            }
                            _ => {}
                        }
                    }
                    (_, Message::Close(frame)) => {
                        shared.counters.disconnects.fetch_add(1, Ordering::Relaxed);
                        anyhow::bail!("server closed the connection: {frame:?}");
                    }
                    _ => {}
                }
                deliver(spec, shared, &mut seen, &mut found, at_ns);
            }
            _ = sleep_until(edit_at), if next_edit.is_some() => {
                let gap = shared.gap_us.load(Ordering::Relaxed) as f64;
                let jitter = rng.random_range(0.5..1.5);
                next_edit = Some(edit_at + Duration::from_micros((gap * jitter) as u64));
                let msg = match &mut doc {
                    Doc::Yjs(peer, framing) => {
                        let edit = typist.next_edit(None, None);
                        let frame = Message::binary(framing.wrap(peer.type_edit(&edit)));
                        if shared.awareness {
                            // after the edit below, as an editor would
                            let a = peer.awareness_frame(&format!("bot-{}", spec.id));
                            pending_awareness = Some(Message::binary(framing.wrap(a)));
                        }
                        frame
                    }
                    Doc::Json(j) => {
                        let (p, n) = j.around_cursor();
                        j.apply_local(typist.next_edit(p, n));
                        let out = JsonOut { kind: "code_update", code: j.text(), cursor_position: j.cursor_utf16() };
                        Message::text(serde_json::to_string(&out)?)
                    }
                };
                shared.log.record_send(spec.id, typist.edits_made() - 1);
                shared.counters.sent.fetch_add(1, Ordering::Relaxed);
                ws.send(msg).await?;
                if let Some(a) = pending_awareness.take() {
                    ws.send(a).await?;
                }
            }
            changed = phase.changed() => {
                // The run is gone: stop as if it said Done.
                if changed.is_err() {
                    break;
                }
            }
        }
    }

    let text = match doc {
        Doc::Yjs(peer, _) => peer.text(),
        Doc::Json(j) => j.into_text(),
    };
    // Anything present now but never noticed on arrival still counts as
    // delivered (without a latency sample).
    let mut late = 0;
    marker::scan(&text, |m| {
        if m.client != spec.id
            && seen.insert(m.key())
            && shared.log.deliver(m, 0) != Delivery::Unknown
        {
            late += 1;
        }
    });
    shared
        .counters
        .late_detected
        .fetch_add(late, Ordering::Relaxed);
    let _ = timeout(Duration::from_secs(2), ws.close(None)).await;
    Ok(text)
}
