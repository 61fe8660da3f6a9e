//! `/yjs/{roomId}`: the y-websocket protocol, so the stock browser
//! provider connects unchanged. Binary frames only; each may hold one or
//! more y-protocols messages.

use axum::Router;
use axum::extract::ws::Message as WsMessage;
use axum::routing::get;
use bytes::Bytes;
use yrs::sync::{Message, MessageReader};
use yrs::updates::decoder::DecoderV1;
use yrs::updates::encoder::Encode;

use super::AppState;
use super::socket::{self, Protocol};
use crate::room::{CloseReason, Connection, PeerKind};

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

#[derive(Default)]
struct Yjs;

impl Protocol for Yjs {
    const KIND: PeerKind = PeerKind::Yjs;
    const LABEL: &'static str = "yjs";

    fn on_message(
        &mut self,
        conn: &Connection,
        message: WsMessage,
    ) -> Result<Option<WsMessage>, CloseReason> {
        let WsMessage::Binary(frame) = message else {
            return Err(NOT_BINARY);
        };
        let messages = decode_all(&frame).ok_or(MALFORMED)?;
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

/// Every message of a frame, or `None` if any is malformed or there is
/// none.
fn decode_all(frame: &[u8]) -> Option<Vec<Message>> {
    let mut decoder = DecoderV1::from(frame);
    let messages = MessageReader::new(&mut decoder)
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    (!messages.is_empty()).then_some(messages)
}
