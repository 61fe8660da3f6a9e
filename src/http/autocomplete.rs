//! `POST /api/autocomplete`: the engine behind `crate::autocomplete`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use super::access::Token;
use super::{AppState, json_body};
use crate::autocomplete::Suggestion;
use crate::domain::Language;
use crate::error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/autocomplete", post(autocomplete))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    code: String,
    /// UTF-16 code units; negative or past the end is clamped.
    cursor_position: i64,
    language: String,
}

async fn autocomplete(
    State(state): State<AppState>,
    headers: HeaderMap,
    token: Token,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Suggestion>, ApiError> {
    state.gate.require_editor(&token, false)?;
    let request: Request = json_body(&headers, body)?.ok_or_else(|| {
        ApiError::Unprocessable(
            "a JSON body with code, cursorPosition and language is required".into(),
        )
    })?;
    let language =
        Language::parse(&request.language).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let len = crate::doc::utf16_len(&request.code) as i64;
    let cursor = request.cursor_position.clamp(0, len) as usize;
    Ok(Json(state.autocomplete.suggest(
        &request.code,
        cursor,
        language.as_str(),
    )))
}
