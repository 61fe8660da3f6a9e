//! `/yjs/{roomId}`: the y-websocket protocol, so the stock browser
//! provider connects unchanged. Binary frames only; each may hold one or
//! more y-protocols messages (up to `limits.max_msgs_per_frame`), walked
//! by [`crate::wire`] before yrs decodes any of them.

use std::sync::Arc;

use axum::Router;
use axum::extract::ws::Message as WsMessage;
use axum::routing::get;
use bytes::Bytes;
use yrs::updates::encoder::Encode;

use super::AppState;
use super::socket::{self, Protocol, RATE_LIMITED};
use crate::metrics::Metrics;
use crate::room::{CloseReason, Connection, PeerKind};
use crate::wire::{self, WireError};

pub fn router() -> Router<AppState> {
    Router::new().route("/yjs/{id}", get(socket::upgrade::<Yjs>))
}

const NOT_BINARY: CloseReason = CloseReason {
    code: 1003,
    reason: "binary y-protocols frames only",
};
const MALFORMED: CloseReason = CloseReason {
    code: 4400,
    reason: "malformed y-protocols message",
};

struct Yjs {
    max_messages: usize,
    metrics: Arc<Metrics>,
}

impl Protocol for Yjs {
    const KIND: PeerKind = PeerKind::Yjs;
    const LABEL: &'static str = "yjs";

    fn new(state: &AppState) -> Self {
        Self {
            max_messages: state.settings.limits.max_msgs_per_frame,
            metrics: state.metrics.clone(),
        }
    }

    fn on_message(
        &mut self,
        conn: &Connection,
        message: WsMessage,
    ) -> Result<Option<WsMessage>, CloseReason> {
        let WsMessage::Binary(frame) = message else {
            return Err(NOT_BINARY);
        };
        let messages = match wire::decode_frame(&frame, self.max_messages) {
            Ok(messages) => messages,
            Err(WireError::TooManyMessages { .. }) => {
                self.metrics.reject("too_many_messages_in_frame");
                return Err(RATE_LIMITED);
            }
            Err(error) => {
                tracing::debug!(%error, "malformed y-protocols frame");
                self.metrics.reject("malformed_frame");
                return Err(MALFORMED);
            }
        };
        let single = messages.len() == 1;
        for message in messages {
            // Relay the client's own bytes when the frame is one message.
            let raw = if single {
                frame.clone()
            } else {
                Bytes::from(message.encode_v1())
            };
            conn.yjs(message, raw);
        }
        Ok(None)
    }
}
