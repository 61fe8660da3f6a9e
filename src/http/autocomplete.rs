//! `POST /api/autocomplete`: the request parsed (`autocomplete::wire`),
//! the text taken from the body or from the room, the engine asked.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};

use super::access::{Refusal, Token};
use super::{AppState, ClientAddr, json_body};
use crate::autocomplete::Query;
use crate::autocomplete::wire::{Invalid, Request, Response, Source, clamp_cursor};
use crate::domain::{Language, RoomId};
use crate::error::ApiError;

/// Texts this large are completed on the blocking pool, so a 2 MB
/// document does not hold up the sockets sharing the worker thread.
const BLOCKING_BYTES: usize = 256 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/autocomplete", post(autocomplete))
}

async fn autocomplete(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    token: Token,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Response>, ApiError> {
    state.gate.require_editor(&token, false)?;
    let request: Request = json_body(&headers, body)?.ok_or_else(|| {
        ApiError::Unprocessable(
            "a JSON body with code (or roomId), cursorPosition and language is required".into(),
        )
    })?;
    let parsed = request.parse().map_err(|e| match e {
        Invalid::RoomId(e) => ApiError::BadRequest(e.to_string()),
        other => ApiError::Unprocessable(other.to_string()),
    })?;
    let (code, language) = match parsed.source {
        Source::Code(code) => {
            let language = parsed
                .language
                .ok_or_else(|| ApiError::Unprocessable(Invalid::NoLanguage.to_string()))?;
            (code, language)
        }
        Source::Room(asked) => {
            let (code, room_language) = room_text(&state, &client, &asked, &token).await?;
            let language = parsed
                .language
                .unwrap_or_else(|| Language::parse(&room_language).unwrap_or_default());
            (code, language)
        }
    };
    let cursor = clamp_cursor(&code, parsed.cursor);
    let limit = state.settings.autocomplete.max_suggestions;
    let engine = state.autocomplete.clone();
    let blocking = code.len() > BLOCKING_BYTES;
    let run = move || {
        Response::from(engine.complete(Query {
            code: &code,
            cursor,
            language: language.as_str(),
            limit,
        }))
    };
    let response = if blocking {
        tokio::task::spawn_blocking(run)
            .await
            .map_err(|e| ApiError::Internal(format!("autocomplete task: {e}")))?
    } else {
        run()
    };
    Ok(Json(response))
}

/// A room's text and language, admitted as `GET /api/rooms/{id}` admits
/// (edit or view id, the token's room, unknown ids rate-limited): live
/// when the room is open here, newer than the batched stored copy; else
/// the stored document.
async fn room_text(
    state: &AppState,
    client: &ClientAddr,
    asked: &RoomId,
    token: &Token,
) -> Result<(String, String), ApiError> {
    let lookup = state.unknown_rooms.begin(asked, client.key()).await?;
    let store = state.hub.store().clone();
    let admission = match state.gate.admit(store.as_ref(), asked, token).await {
        Ok(admission) => admission,
        Err(Refusal::NotFound) => return Err(lookup.missing()),
        Err(refusal) => return Err(refusal.into()),
    };
    drop(lookup);
    let id = admission.room;
    if let Some(live) = state.hub.live(&id).await {
        return Ok((live.code, live.language));
    }
    let not_found = || ApiError::NotFound(format!("room {asked} not found"));
    let stored = store.document(&id).await?.ok_or_else(not_found)?;
    let language = match stored.language {
        Some(language) => language,
        None => store.room(&id).await?.ok_or_else(not_found)?.language,
    };
    Ok((stored.code, language))
}
