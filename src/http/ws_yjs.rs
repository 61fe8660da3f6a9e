//! `/yjs/{roomId}`: the y-websocket protocol, so the stock browser
//! provider connects unchanged. Binary frames only; each may hold one or
//! more y-protocols messages (up to `limits.max_msgs_per_frame`), decoded
//! by [`crate::wire`] so memory stays bounded by the frame.

use axum::Router;
use axum::extract::ws::Message as WsMessage;
use axum::routing::get;

use super::AppState;
use super::socket::{self, Protocol};
use crate::room::{CloseReason, Connection, PeerKind};
use crate::wire;

pub fn router() -> Router<AppState> {
    Router::new().route("/yjs/{id}", get(socket::upgrade::<Yjs>))
}

struct Yjs {
    max_messages: usize,
}

impl Protocol for Yjs {
    const KIND: PeerKind = PeerKind::Yjs;
    const LABEL: &'static str = "yjs";

    fn new(state: &AppState) -> Self {
        Self {
            max_messages: state.settings.limits.max_msgs_per_frame,
        }
    }

    fn on_message(
        &mut self,
        conn: &Connection,
        message: WsMessage,
        charge: &mut dyn FnMut(usize) -> bool,
    ) -> Result<Option<WsMessage>, CloseReason> {
        let WsMessage::Binary(frame) = message else {
            return Err(CloseReason::NOT_BINARY);
        };
        let messages = match wire::decode_frame(&frame, self.max_messages) {
            Ok(messages) => messages,
            Err(wire::WireError::TooManyMessages { .. }) => return Err(CloseReason::RATE_LIMITED),
            Err(_) => return Err(CloseReason::MALFORMED),
        };
        if !charge(messages.len()) {
            return Err(CloseReason::RATE_LIMITED);
        }
        // The frame's bytes, shared out for the room's inbox budget.
        let share = frame.len().div_ceil(messages.len().max(1));
        for message in messages {
            conn.yjs(message, share)?;
        }
        Ok(None)
    }
}
