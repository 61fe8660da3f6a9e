//! The life of one WebSocket, whatever its protocol: join the room, pump
//! frames both ways, enforce the frame size and message rate, ping, and
//! close with the code that says why.

use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::future::Either;
use futures_util::{FutureExt, SinkExt};

use super::AppState;
use super::access::{Admission, Refusal, Token};
use super::client_addr::ClientAddr;
use super::origin;
use super::unknown_rooms::Lookup;
use crate::domain::RoomId;
use crate::error::ApiError;
use crate::room::{CloseReason, Connection, Frame, JoinError, PeerKind};

/// How long a closed socket waits for the client's close frame.
const CLOSE_LINGER: Duration = Duration::from_millis(500);

/// Frames written to the socket before one flush.
const WRITE_BATCH: usize = 64;

/// Per-connection read buffer; it grows for a larger frame. tungstenite's
/// 128 KiB default is zero-filled on every read and held by every idle
/// connection. It is also the most one read takes (a larger frame is
/// read in pieces this size): 2 KiB is one read for a keystroke's frame
/// and little for an idle connection to hold.
const READ_BUFFER: usize = 2 * 1024;

/// The transport limits every WebSocket route shares. The transport cap is
/// twice the frame limit, so a frame over the limit still arrives whole and
/// is refused with a clean 1009 by `serve`.
fn configure(ws: WebSocketUpgrade, state: &AppState) -> WebSocketUpgrade {
    let cap = state.settings.limits.max_frame_bytes * 2;
    ws.max_message_size(cap)
        .max_frame_size(cap)
        .read_buffer_size(READ_BUFFER)
}

/// The upgrade handler of every WebSocket route. Refused before any
/// upgrade: a foreign `Origin` (403), a malformed room id (400), a room
/// known to be missing (404) and a client out of unknown-room lookups
/// (429). The room (by its edit or view id) and the token are checked
/// once connected, so a browser reads why from the close code (4404
/// unknown room, 4401 no valid token).
pub(super) async fn upgrade<P: Protocol + 'static>(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    client: ClientAddr,
    headers: HeaderMap,
    uri: Uri,
    token: Token,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    origin::check(
        &headers,
        &uri,
        &client,
        &state.settings.server.allowed_origins,
    )?;
    let asked = RoomId::parse(&raw).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let lookup = state.unknown_rooms.begin(&asked, client.key()).await?;
    Ok(configure(ws, &state)
        .on_upgrade(move |socket| {
            let sockets = state.sockets.clone();
            sockets.track_future(connection::<P>(socket, state, asked, token, lookup))
        })
        .into_response())
}

/// One upgraded socket: admitted (or told why not), then served.
///
/// This future is what every open connection's task holds for as long as
/// the socket lives. Admission runs boxed, and `then` keeps only one of
/// the two stages at a time, so an open connection holds `serve`'s state
/// alone: about 1.8 KiB instead of the 4.3 KiB one `async` block took
/// (the compiler keeps the admission's slots beside `serve`'s).
fn connection<P: Protocol>(
    socket: WebSocket,
    state: AppState,
    asked: RoomId,
    token: Token,
    lookup: Lookup,
) -> impl Future<Output = ()> + Send {
    let admitting = Box::pin(async move {
        let admitted = admit(socket, &state, &asked, &token, lookup).await;
        admitted.map(|(socket, admission, lookup)| (socket, state, admission, lookup))
    });
    admitting.then(|admitted| match admitted {
        Some((socket, state, admission, lookup)) => {
            let protocol = P::new(&state);
            Either::Left(serve(socket, state, admission, protocol, lookup))
        }
        None => Either::Right(std::future::ready(())),
    })
}

/// Checks the room and the token; a refused socket is sent its close code.
async fn admit(
    mut socket: WebSocket,
    state: &AppState,
    asked: &RoomId,
    token: &Token,
    lookup: Lookup,
) -> Option<(WebSocket, Admission, Lookup)> {
    let store = state.hub.store().clone();
    match state.gate.admit(store.as_ref(), asked, token).await {
        Ok(admission) => Some((socket, admission, lookup)),
        Err(refusal) => {
            let reason = refusal.close_reason();
            match refusal {
                Refusal::NotFound => drop(lookup.missing()),
                Refusal::Unauthorized(_) | Refusal::Forbidden(_) => {
                    state.metrics.reject("unauthorized");
                }
                Refusal::Store(_) => {}
            }
            let _ = socket.send(close_message(reason)).await;
            None
        }
    }
}

/// When a token valid until `expires_at` (Unix seconds) runs out; `None`
/// also for an expiry too far ahead for the clock to hold.
fn expiry(expires_at: Option<i64>) -> Option<tokio::time::Instant> {
    let left = expires_at?.saturating_sub(chrono::Utc::now().timestamp());
    let left = Duration::from_secs(u64::try_from(left).unwrap_or(0));
    tokio::time::Instant::now().checked_add(left)
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// What a protocol does with the client's messages.
pub(super) trait Protocol: Send {
    const KIND: PeerKind;
    const LABEL: &'static str;

    fn new(state: &AppState) -> Self;

    /// Handles one data frame. `Ok(Some(_))` is a reply for this socket
    /// alone (an `error` message); `Err` closes the socket. Before handing
    /// the room anything, the protocol charges the rate limit for every
    /// message the frame holds (`charge(n)` is false when over).
    fn on_message(
        &mut self,
        conn: &Connection,
        message: WsMessage,
        charge: &mut dyn FnMut(usize) -> bool,
    ) -> Result<Option<WsMessage>, CloseReason>;
}

/// A token bucket: `burst` at once, `rate` per second after.
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

    fn take(&mut self, n: usize) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.burst);
        self.last = now;
        let n = n as f64;
        if self.tokens >= n {
            self.tokens -= n;
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
        JoinError::NotFound => CloseReason::NOT_FOUND,
        JoinError::Full => CloseReason::ROOM_FULL,
        JoinError::ShuttingDown => CloseReason::SHUTTING_DOWN,
        JoinError::Unavailable | JoinError::Retry => CloseReason::UNAVAILABLE,
    }
}

/// The frame's payload length, for the byte rate.
fn payload_len(message: &WsMessage) -> usize {
    match message {
        WsMessage::Text(t) => t.len(),
        WsMessage::Binary(b) => b.len(),
        WsMessage::Ping(p) | WsMessage::Pong(p) => p.len(),
        WsMessage::Close(_) => 0,
    }
}

pub(super) async fn serve<P: Protocol>(
    mut socket: WebSocket,
    state: AppState,
    admission: Admission,
    mut protocol: P,
    lookup: Lookup,
) {
    let gauge = state.metrics.connection_gauge(P::LABEL);
    gauge.inc();
    let _counted = Counted(gauge);
    let expires = expiry(admission.expires_at);
    let mut conn = match join(&state, &admission, P::KIND, lookup).await {
        Ok(conn) => conn,
        Err(error) => {
            let _ = socket.send(close_message(join_refusal(error))).await;
            return;
        }
    };
    let limits = &state.settings.limits;
    let interval = Duration::from_secs(state.settings.ws.ping_interval_secs);
    let mut messages = Bucket::new(limits.msgs_per_sec, limits.msg_burst);
    let mut bytes = Bucket::new(limits.bytes_per_sec, limits.byte_burst);
    let write_timeout = Duration::from_secs(limits.write_timeout_secs);
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
                            break Some(CloseReason::FRAME_TOO_BIG);
                        }
                        break None;
                    }
                    None => break None,
                };
                last_heard = Instant::now();
                let len = payload_len(&message);
                if len > limits.max_frame_bytes {
                    state.metrics.reject("frame_too_large");
                    break Some(CloseReason::FRAME_TOO_BIG);
                }
                if !bytes.take(len) {
                    state.metrics.reject("byte_rate_limited");
                    break Some(CloseReason::RATE_LIMITED);
                }
                match &message {
                    WsMessage::Close(_) => break None,
                    // Control frames cost like any message.
                    WsMessage::Ping(_) | WsMessage::Pong(_) => {
                        if !messages.take(1) {
                            state.metrics.reject("rate_limited");
                            break Some(CloseReason::RATE_LIMITED);
                        }
                        continue;
                    }
                    _ => {}
                }
                let mut charge = |n: usize| messages.take(n);
                match protocol.on_message(&conn, message, &mut charge) {
                    Ok(Some(reply)) => {
                        if socket.send(reply).await.is_err() {
                            break None;
                        }
                    }
                    Ok(None) => {}
                    Err(reason) => {
                        if reason == CloseReason::RATE_LIMITED {
                            state.metrics.reject("rate_limited");
                        }
                        break Some(reason);
                    }
                }
            }
            frame = conn.frames.recv() => {
                let Some(frame) = frame else {
                    break Some(conn.close_reason().unwrap_or(CloseReason::UNAVAILABLE));
                };
                // A client that does not read blocks the write: past the
                // timeout it is dropped, and what was queued for it goes.
                match tokio::time::timeout(write_timeout, write_batch(&mut socket, &mut conn, frame)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => break None,
                    Err(_) => {
                        state.metrics.slow_consumers.inc();
                        state.metrics.reject("write_timeout");
                        return;
                    }
                }
            }
            // A token that runs out mid-session ends it: the client gets
            // a new one and reconnects.
            _ = sleep_until(expires), if expires.is_some() => {
                state.metrics.reject("token_expired");
                break Some(CloseReason::UNAUTHORIZED);
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
    drop(conn); // leaves the room now, not after the closing handshake
    if let Some(reason) = close
        && socket.send(close_message(reason)).await.is_ok()
    {
        linger(&mut socket).await;
    }
}

/// After our close frame: read (and discard) what the client still sends
/// until it answers the close, briefly. Dropping a socket with unread
/// input makes the kernel reset the connection, and a reset can destroy
/// the close frame before the client reads it.
async fn linger(socket: &mut WebSocket) {
    let _ = tokio::time::timeout(CLOSE_LINGER, async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, WsMessage::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// Joins, and tells the unknown-room gate whether the room existed.
async fn join(
    state: &AppState,
    admission: &Admission,
    kind: PeerKind,
    lookup: Lookup,
) -> Result<Connection, JoinError> {
    // Boxed for the reason `connection` boxes admission.
    let joined = Box::pin(
        state
            .hub
            .join(&admission.room, kind, admission.access.clone()),
    )
    .await;
    if let Err(JoinError::NotFound) = joined {
        lookup.missing();
    }
    joined
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
        let Some(frame) = conn.frames.try_recv() else {
            break;
        };
        if let Some(message) = to_ws(frame) {
            socket.feed(message).await?;
        }
    }
    socket.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_expiries_become_deadlines_without_overflow() {
        assert!(expiry(None).is_none());
        let now = chrono::Utc::now().timestamp();
        let start = tokio::time::Instant::now();
        let soon = expiry(Some(now + 5)).unwrap();
        assert!(soon >= start + Duration::from_secs(3) && soon <= start + Duration::from_secs(6));
        assert!(expiry(Some(now - 100)).unwrap() <= tokio::time::Instant::now());
        // A signed token may say "never": no deadline rather than a panic.
        let _ = expiry(Some(i64::MAX));
    }
}
