//! The life of one WebSocket, whatever its protocol: join the room, pump
//! frames both ways, enforce the frame size and message rate, ping, and
//! close with the code that says why.

use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use futures_util::SinkExt;

use super::AppState;
use crate::domain::RoomId;
use crate::error::ApiError;
use crate::room::{CloseReason, Connection, Frame, JoinError, PeerKind};

/// Frames written to the socket before one flush.
const WRITE_BATCH: usize = 64;

/// Per-connection read buffer; it grows for a larger frame. tungstenite's
/// 128 KiB default is zero-filled on every read and held by every idle
/// connection.
const READ_BUFFER: usize = 4 * 1024;

/// The transport limits every WebSocket route shares. The transport cap is
/// twice the frame limit, so a frame over the limit still arrives whole and
/// is refused with a clean 1009 by `serve`.
fn configure(ws: WebSocketUpgrade, state: &AppState) -> WebSocketUpgrade {
    let cap = state.settings.limits.max_frame_bytes * 2;
    ws.max_message_size(cap)
        .max_frame_size(cap)
        .read_buffer_size(READ_BUFFER)
}

/// The upgrade handler of every WebSocket route: a malformed room id is a
/// 400 before any upgrade; the room itself is looked up once connected
/// (an unknown one closes with 4404).
pub(super) async fn upgrade<P: Protocol + 'static>(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let room = RoomId::parse(&raw).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok(configure(ws, &state)
        .on_upgrade(move |socket| {
            let sockets = state.sockets.clone();
            let protocol = P::new(&state);
            sockets.track_future(serve(socket, state, room, protocol))
        })
        .into_response())
}

/// What a protocol does with the client's messages.
pub(super) trait Protocol: Send {
    const KIND: PeerKind;
    const LABEL: &'static str;

    /// The per-socket protocol state, from the server's settings.
    fn new(state: &AppState) -> Self
    where
        Self: Sized;

    /// Handles one data frame. `Ok(Some(_))` is a reply for this socket
    /// alone (an `error` message); `Err` closes the socket.
    fn on_message(
        &mut self,
        conn: &Connection,
        message: WsMessage,
    ) -> Result<Option<WsMessage>, CloseReason>;
}

pub(super) const RATE_LIMITED: CloseReason = CloseReason {
    code: 4429,
    reason: "too many messages",
};
pub(super) const FRAME_TOO_BIG: CloseReason = CloseReason {
    code: 1009,
    reason: "frame too large",
};

/// A token bucket: `burst` messages at once, `rate` per second after.
struct Bucket {
    tokens: f64,
    burst: f64,
    rate: f64,
    last: Instant,
}

impl Bucket {
    fn new(rate: u32, burst: u32) -> Self {
        Self {
            tokens: f64::from(burst),
            burst: f64::from(burst),
            rate: f64::from(rate),
            last: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Decrements the connection gauge however the socket ends.
struct Counted(prometheus_client::metrics::gauge::Gauge);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.dec();
    }
}

fn close_message(reason: CloseReason) -> WsMessage {
    WsMessage::Close(Some(CloseFrame {
        code: reason.code,
        reason: Utf8Bytes::from_static(reason.reason),
    }))
}

fn to_ws(frame: Frame) -> Option<WsMessage> {
    match frame {
        Frame::Binary(bytes) => Some(WsMessage::Binary(bytes)),
        // The room only produces UTF-8 JSON; a failure here is a bug, and
        // skipping the frame beats crashing the socket.
        Frame::Text(bytes) => Utf8Bytes::try_from(bytes).ok().map(WsMessage::Text),
    }
}

/// True when the transport refused a frame or message over its size cap.
fn over_capacity(error: axum::Error) -> bool {
    error
        .into_inner()
        .downcast_ref::<tungstenite::Error>()
        .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)))
}

fn join_refusal(error: JoinError) -> CloseReason {
    match error {
        JoinError::NotFound => CloseReason {
            code: 4404,
            reason: "room not found",
        },
        JoinError::Full => CloseReason {
            code: 1013,
            reason: "room is full",
        },
        JoinError::ShuttingDown => CloseReason::SHUTTING_DOWN,
        JoinError::Unavailable | JoinError::Retry => CloseReason {
            code: 1011,
            reason: "room unavailable, try again",
        },
    }
}

pub(super) async fn serve<P: Protocol>(
    mut socket: WebSocket,
    state: AppState,
    room: RoomId,
    mut protocol: P,
) {
    let gauge = state.metrics.connection_gauge(P::LABEL);
    gauge.inc();
    let _counted = Counted(gauge);
    let mut conn = match state.hub.join(&room, P::KIND).await {
        Ok(conn) => conn,
        Err(error) => {
            let _ = socket.send(close_message(join_refusal(error))).await;
            return;
        }
    };
    let limits = &state.settings.limits;
    let interval = Duration::from_secs(state.settings.ws.ping_interval_secs);
    let mut bucket = Bucket::new(limits.msgs_per_sec, limits.msg_burst);
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    let mut last_heard = Instant::now();
    let close = loop {
        tokio::select! {
            incoming = socket.recv() => {
                let message = match incoming {
                    Some(Ok(message)) => message,
                    Some(Err(e)) => {
                        // tungstenite refuses frames over its own (larger)
                        // cap before we see them.
                        if over_capacity(e) {
                            state.metrics.reject("frame_too_large");
                            break Some(FRAME_TOO_BIG);
                        }
                        break None;
                    }
                    None => break None,
                };
                last_heard = Instant::now();
                match &message {
                    WsMessage::Close(_) => break None,
                    WsMessage::Ping(_) | WsMessage::Pong(_) => continue,
                    WsMessage::Text(t) if t.len() > limits.max_frame_bytes => {
                        state.metrics.reject("frame_too_large");
                        break Some(FRAME_TOO_BIG);
                    }
                    WsMessage::Binary(b) if b.len() > limits.max_frame_bytes => {
                        state.metrics.reject("frame_too_large");
                        break Some(FRAME_TOO_BIG);
                    }
                    _ => {}
                }
                if !bucket.take() {
                    state.metrics.reject("rate_limited");
                    break Some(RATE_LIMITED);
                }
                match protocol.on_message(&conn, message) {
                    Ok(Some(reply)) => {
                        if socket.send(reply).await.is_err() {
                            break None;
                        }
                    }
                    Ok(None) => {}
                    Err(reason) => break Some(reason),
                }
            }
            frame = conn.frames.recv() => {
                let Some(frame) = frame else {
                    break Some(conn.close_reason().unwrap_or(CloseReason {
                        code: 1011,
                        reason: "room closed",
                    }));
                };
                if write_batch(&mut socket, &mut conn, frame).await.is_err() {
                    break None;
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > interval * 2 {
                    tracing::debug!("peer silent for two ping intervals; dropping");
                    break None;
                }
                if socket.send(WsMessage::Ping(Default::default())).await.is_err() {
                    break None;
                }
            }
        }
    };
    if let Some(reason) = close {
        let _ = socket.send(close_message(reason)).await;
    }
    // `conn` drops here and leaves the room.
}

/// Writes one frame and whatever else is already queued, then flushes
/// once: frames that arrive together go out together.
async fn write_batch(
    socket: &mut WebSocket,
    conn: &mut Connection,
    first: Frame,
) -> Result<(), axum::Error> {
    if let Some(message) = to_ws(first) {
        socket.feed(message).await?;
    }
    for _ in 1..WRITE_BATCH {
        let Ok(frame) = conn.frames.try_recv() else {
            break;
        };
        if let Some(message) = to_ws(frame) {
            socket.feed(message).await?;
        }
    }
    socket.flush().await
}
