//! `POST /api/rooms` and `GET /api/rooms/{id}` (by the edit or the view
//! id; by the view id, the edit id is never revealed).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::access::{Refusal, Token};
use super::{AppState, ClientAddr, json_body};
use crate::domain::{Language, Role, RoomId};
use crate::error::ApiError;
use crate::store::{NewRoom, StoreError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/rooms", post(create_room))
        .route("/api/rooms/{id}", get(get_room))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRoom {
    language: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    room_id: RoomId,
    /// The view-only id: `/r/{viewId}` watches without editing.
    view_id: RoomId,
    #[serde(rename = "created_at")]
    created_at: String,
    language: String,
    code: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RoomView {
    /// The id to connect with: the edit id for an editor, the view id for
    /// a viewer.
    room_id: RoomId,
    view_id: RoomId,
    /// What the caller may do: `edit` or `view`.
    role: Role,
    #[serde(rename = "created_at")]
    created_at: String,
    #[serde(rename = "updated_at")]
    updated_at: String,
    code: String,
    language: String,
    connection_count: usize,
}

async fn create_room(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    token: Token,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    state.gate.require_editor(&token, true)?;
    let request = json_body(&headers, body)?.unwrap_or(CreateRoom { language: None });
    let language = match request.language.as_deref() {
        None => Language::default(),
        Some(raw) => Language::parse(raw).map_err(|e| ApiError::Unprocessable(e.to_string()))?,
    };
    state
        .room_creation
        .check(client.key())
        .map_err(ApiError::TooManyRequests)?;
    let code = language.welcome();
    let snapshot = crate::doc::initial_state(&code, language.as_str());
    // Ten base62 characters collide about never; retry anyway rather than
    // answer 500 for the one time they do.
    for _ in 0..3 {
        let id = RoomId::generate();
        let view_id = RoomId::generate_view();
        let created = state
            .hub
            .store()
            .create_room(NewRoom {
                id: &id,
                view_id: &view_id,
                language: &language,
                code: &code,
                state: &snapshot,
            })
            .await;
        match created {
            Ok(record) => {
                state.metrics.rooms_created.inc();
                state.unknown_rooms.forget(&record.id);
                state.unknown_rooms.forget(&record.view_id);
                let location = format!("/api/rooms/{}", record.id);
                let body = Created {
                    room_id: record.id,
                    view_id: record.view_id,
                    created_at: record.created_at.to_rfc3339(),
                    language: record.language,
                    code: code.clone(),
                };
                let mut response = (StatusCode::CREATED, Json(body)).into_response();
                if let Ok(value) = HeaderValue::from_str(&location) {
                    response.headers_mut().insert(header::LOCATION, value);
                }
                return Ok(response);
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Internal(
        "room id collisions, three in a row".into(),
    ))
}

async fn get_room(
    State(state): State<AppState>,
    client: ClientAddr,
    Path(raw): Path<String>,
    token: Token,
) -> Result<(HeaderMap, Json<RoomView>), ApiError> {
    let asked = RoomId::parse(&raw).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let lookup = state.unknown_rooms.begin(&asked, client.key()).await?;
    let store = state.hub.store().clone();
    let admission = match state.gate.admit(store.as_ref(), &asked, &token).await {
        Ok(admission) => admission,
        Err(Refusal::NotFound) => return Err(lookup.missing()),
        Err(refusal) => return Err(refusal.into()),
    };
    drop(lookup);
    let id = admission.room;
    let record = store
        .room(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("room {asked} not found")))?;
    let role = admission.access.role;
    // An open room's live text is newer than the batched stored one.
    // Otherwise the stored CRDT, not the `code` column: the column maps
    // what Postgres cannot hold (NUL) and may lag a concurrent instance.
    // The language is the document's if valid, else the column's (the last
    // valid one), as a live room shows it.
    let (code, language) = match state.hub.live(&id).await {
        Some(live) => (live.code, live.language),
        None => {
            let stored = state
                .hub
                .store()
                .document(&id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("room {asked} not found")))?;
            (stored.code, stored.language.unwrap_or(record.language))
        }
    };
    let connection_count = state
        .hub
        .bus()
        .presence(&id)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((
        headers,
        Json(RoomView {
            room_id: match role {
                Role::Edit => record.id,
                Role::View => record.view_id.clone(),
            },
            view_id: record.view_id,
            role,
            created_at: record.created_at.to_rfc3339(),
            updated_at: record.updated_at.to_rfc3339(),
            code,
            language,
            connection_count,
        }),
    ))
}
