//! The JSON protocol's server-to-client messages, serialised once per
//! event and shared by every recipient.

use bytes::Bytes;
use serde::Serialize;

use crate::domain::Role;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn encode(value: &impl Serialize) -> Bytes {
    // Serialising these plain structs cannot fail.
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Init<'a> {
    r#type: &'static str,
    code: &'a str,
    language: &'a str,
    connection_count: usize,
    user_id: &'a str,
    version: u64,
    /// `view` for a view-only connection: its `code_update`s are refused.
    role: Role,
}

pub fn init(
    code: &str,
    language: &str,
    connection_count: usize,
    user_id: &str,
    version: u64,
    role: Role,
) -> Bytes {
    encode(&Init {
        r#type: "init",
        code,
        language,
        connection_count,
        user_id,
        version,
        role,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CodeUpdate<'a> {
    r#type: &'static str,
    code: &'a str,
    cursor_position: Option<u32>,
    user_id: Option<&'a str>,
    language: &'a str,
    timestamp: i64,
    /// Quoted back by clients as `baseVersion`, so their next full text is
    /// merged against exactly the text they edited.
    version: u64,
}

pub fn code_update(
    code: &str,
    language: &str,
    cursor_position: Option<u32>,
    user_id: Option<&str>,
    version: u64,
) -> Bytes {
    encode(&CodeUpdate {
        r#type: "code_update",
        code,
        cursor_position,
        user_id,
        language,
        timestamp: now_ms(),
        version,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Presence {
    r#type: &'static str,
    connection_count: usize,
    timestamp: i64,
}

pub fn presence(joined: bool, connection_count: usize) -> Bytes {
    encode(&Presence {
        r#type: if joined { "user_joined" } else { "user_left" },
        connection_count,
        timestamp: now_ms(),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Cursor<'a> {
    r#type: &'static str,
    cursor_position: u32,
    selection_end: Option<u32>,
    user_id: &'a str,
    timestamp: i64,
}

pub fn cursor(cursor_position: u32, selection_end: Option<u32>, user_id: &str) -> Bytes {
    encode(&Cursor {
        r#type: "cursor",
        cursor_position,
        selection_end,
        user_id,
        timestamp: now_ms(),
    })
}

#[derive(Serialize)]
struct Error<'a> {
    r#type: &'static str,
    code: &'a str,
    detail: &'a str,
}

pub fn error(code: &str, detail: &str) -> Bytes {
    encode(&Error {
        r#type: "error",
        code,
        detail,
    })
}
