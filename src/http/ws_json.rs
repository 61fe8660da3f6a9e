//! `/ws/{roomId}`: the prototype's JSON protocol, for scripts and bots.
//! A bad message gets an `error` message and the socket stays open.

use axum::Router;
use axum::extract::ws::{Message as WsMessage, Utf8Bytes};
use axum::routing::get;
use serde::Deserialize;

use super::AppState;
use super::socket::{self, Protocol};
use crate::domain::Language;
use crate::room::{CloseReason, Connection, JsonEdit, PeerKind, messages};

pub fn router() -> Router<AppState> {
    Router::new().route("/ws/{id}", get(socket::upgrade::<Json>))
}

/// What a JSON client may send. A `userId` it names travels with its
/// changes, as the prototype relayed it.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Incoming {
    #[serde(rename_all = "camelCase")]
    CodeUpdate {
        code: String,
        cursor_position: Option<u32>,
        language: Option<String>,
        /// The `version` of the last `init`/`code_update` the client
        /// applied (optional; the prototype's clients do not send it).
        base_version: Option<u64>,
        user_id: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Cursor {
        cursor_position: u32,
        selection_end: Option<u32>,
        user_id: Option<String>,
    },
}

/// Longest `userId` relayed, in bytes.
const MAX_USER_ID: usize = 128;

/// A client-named user id, if it names one within bounds.
fn user_id(raw: Option<String>) -> Result<Option<String>, WsMessage> {
    match raw {
        Some(id) if id.len() > MAX_USER_ID || id.chars().any(char::is_control) => Err(error(
            "invalid_user_id",
            "userId must be at most 128 bytes without control characters",
        )),
        other => Ok(other.filter(|id| !id.is_empty())),
    }
}

#[derive(Deserialize)]
struct Tagged {
    r#type: String,
}

struct Json;

/// One client message, or the `error` to answer it with.
pub(crate) fn parse(text: &str) -> Result<Incoming, WsMessage> {
    serde_json::from_str::<Incoming>(text).map_err(|e| match serde_json::from_str::<Tagged>(text) {
        Err(_) if serde_json::from_str::<serde_json::Value>(text).is_err() => {
            error("bad_json", &format!("not JSON: {e}"))
        }
        Err(_) => error("invalid_message", "a message needs a string `type`"),
        Ok(t) if t.r#type == "code_update" || t.r#type == "cursor" => {
            error("invalid_message", &format!("invalid `{}`: {e}", t.r#type))
        }
        Ok(t) => error(
            "unknown_type",
            &format!("unknown message type `{}`", t.r#type),
        ),
    })
}

fn error(code: &str, detail: &str) -> WsMessage {
    let bytes = messages::error(code, detail);
    WsMessage::Text(Utf8Bytes::try_from(bytes).unwrap_or_else(|_| Utf8Bytes::from_static("{}")))
}

impl Protocol for Json {
    const KIND: PeerKind = PeerKind::Json;
    const LABEL: &'static str = "json";

    fn new(_: &AppState) -> Self {
        Self
    }

    fn on_message(
        &mut self,
        conn: &Connection,
        message: WsMessage,
        charge: &mut dyn FnMut(usize) -> bool,
    ) -> Result<Option<WsMessage>, CloseReason> {
        if !charge(1) {
            return Err(CloseReason::RATE_LIMITED);
        }
        let WsMessage::Text(text) = message else {
            return Ok(Some(error(
                "unsupported_frame",
                "send JSON text frames on /ws; binary Yjs goes to /yjs",
            )));
        };
        let incoming = match parse(&text) {
            Ok(incoming) => incoming,
            Err(reply) => return Ok(Some(reply)),
        };
        match incoming {
            Incoming::CodeUpdate {
                code,
                cursor_position,
                language,
                base_version,
                user_id: named,
            } => {
                let language = match language.as_deref().map(Language::parse).transpose() {
                    Ok(language) => language,
                    Err(e) => return Ok(Some(error("invalid_language", &e.to_string()))),
                };
                let user_id = match user_id(named) {
                    Ok(id) => id,
                    Err(reply) => return Ok(Some(reply)),
                };
                conn.json_code(JsonEdit {
                    code,
                    cursor: cursor_position,
                    language,
                    base_version,
                    user_id,
                })?;
            }
            Incoming::Cursor {
                cursor_position,
                selection_end,
                user_id: named,
            } => {
                let user_id = match user_id(named) {
                    Ok(id) => id,
                    Err(reply) => return Ok(Some(reply)),
                };
                conn.json_cursor(cursor_position, selection_end, user_id)?;
            }
        }
        Ok(None)
    }
}
