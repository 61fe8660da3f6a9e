//! A room's history over REST: list, read, name, restore and download its
//! versions. Reads go to the store; naming the current version and
//! restoring go through the room (opened here if it is not live), so the
//! text is the live one and a restore reaches every client.
//!
//! A room is named by its edit or its view id, admitted as `GET
//! /api/rooms/{id}` is (tokens included): viewers may read the history,
//! only editors change it, and answers name the room by the id the caller
//! used, so a viewer never learns the edit id.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::access::{Refusal, Token};
use super::{AppState, ClientAddr, json_body};
use crate::domain::{Language, Role, RoomId};
use crate::error::ApiError;
use crate::store::{Version, VersionInfo};

/// Versions in a page unless the client asks for fewer or more.
const DEFAULT_PAGE: usize = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/rooms/{id}/versions",
            get(list_versions).post(create_version),
        )
        .route(
            "/api/rooms/{id}/versions/{version}",
            get(get_version).patch(rename_version),
        )
        .route(
            "/api/rooms/{id}/versions/{version}/restore",
            post(restore_version),
        )
        .route(
            "/api/rooms/{id}/versions/{version}/download",
            get(download_version),
        )
}

#[derive(Serialize)]
struct VersionView {
    id: i64,
    created_at: String,
    kind: &'static str,
    name: Option<String>,
    authors: Vec<String>,
    changes: u64,
    size: u64,
    language: String,
    restored_from: Option<i64>,
}

impl From<VersionInfo> for VersionView {
    fn from(v: VersionInfo) -> Self {
        Self {
            id: v.id,
            created_at: v.created_at.to_rfc3339(),
            kind: v.kind.as_str(),
            name: v.name,
            authors: v.authors,
            changes: v.changes,
            size: v.size,
            language: v.language,
            restored_from: v.restored_from,
        }
    }
}

#[derive(Serialize)]
struct VersionText {
    #[serde(flatten)]
    info: VersionView,
    code: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    room_id: RoomId,
    versions: Vec<VersionView>,
    /// The next (older) page, when there is one.
    next: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    before: Option<i64>,
    limit: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateVersion {
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rename {
    /// A string names the version, `null` removes its name; required.
    name: serde_json::Value,
}

/// A room as a request reaches it.
struct Admitted {
    /// The id the caller used (the edit or the view id): answers name it.
    asked: RoomId,
    /// The room's edit id, which the store and the hub key on.
    room: RoomId,
    role: Role,
}

impl Admitted {
    /// Changing the history (naming, restoring) takes an editor.
    fn editor(self) -> Result<Self, ApiError> {
        match self.role {
            Role::Edit => Ok(self),
            Role::View => Err(ApiError::Forbidden(
                "a view-only link can read the history, not change it".into(),
            )),
        }
    }
}

/// Lets a request into the room `raw` names, as `GET /api/rooms/{id}`
/// does: unknown rooms are 404 and cost the client's unknown-room budget.
async fn admit(
    state: &AppState,
    client: &ClientAddr,
    raw: &str,
    token: &Token,
) -> Result<Admitted, ApiError> {
    let asked = RoomId::parse(raw).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let lookup = state.unknown_rooms.begin(&asked, client.key()).await?;
    let store = state.hub.store().clone();
    let admission = match state.gate.admit(store.as_ref(), &asked, token).await {
        Ok(admission) => admission,
        Err(Refusal::NotFound) => return Err(lookup.missing()),
        Err(refusal) => return Err(refusal.into()),
    };
    drop(lookup);
    Ok(Admitted {
        asked,
        room: admission.room,
        role: admission.access.role,
    })
}

/// The room's version `raw`; anything that is not one of its versions
/// (another room's included) is 404.
async fn room_version(state: &AppState, room: &Admitted, raw: &str) -> Result<Version, ApiError> {
    let asked = &room.asked;
    let not_found = || ApiError::NotFound(format!("version {raw} not found in room {asked}"));
    let id: i64 = raw.parse().map_err(|_| not_found())?;
    state
        .hub
        .store()
        .version(&room.room, id)
        .await?
        .ok_or_else(not_found)
}

/// A version name: trimmed, 1 to `max` characters, no control characters.
fn parse_name(raw: &str, max: usize) -> Result<String, ApiError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ApiError::Unprocessable("name must not be empty".into()));
    }
    if name.chars().count() > max {
        return Err(ApiError::Unprocessable(format!(
            "name must be at most {max} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::Unprocessable(
            "name must not contain control characters".into(),
        ));
    }
    Ok(name.to_owned())
}

fn created(room: &RoomId, info: VersionInfo) -> Response {
    let location = format!("/api/rooms/{room}/versions/{}", info.id);
    let mut response = (StatusCode::CREATED, Json(VersionView::from(info))).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn no_store() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers
}

async fn list_versions(
    State(state): State<AppState>,
    client: ClientAddr,
    token: Token,
    Path(raw): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<(HeaderMap, Json<Page>), ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let room = admit(&state, &client, &raw, &token).await?;
    let max = state.settings.history.max_page;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, max);
    let mut versions = state
        .hub
        .store()
        .versions(&room.room, query.before, limit + 1)
        .await?;
    let more = versions.len() > limit;
    versions.truncate(limit);
    let asked = &room.asked;
    let next = more.then(|| versions.last()).flatten().map(|last| {
        format!(
            "/api/rooms/{asked}/versions?before={}&limit={limit}",
            last.id
        )
    });
    let versions = versions.into_iter().map(VersionView::from).collect();
    Ok((
        no_store(),
        Json(Page {
            room_id: room.asked,
            versions,
            next,
        }),
    ))
}

async fn create_version(
    State(state): State<AppState>,
    client: ClientAddr,
    token: Token,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let request = json_body(&headers, body)?.unwrap_or(CreateVersion { name: None });
    let max = state.settings.history.max_name_chars;
    let name = request.name.map(|n| parse_name(&n, max)).transpose()?;
    let room = admit(&state, &client, &raw, &token).await?.editor()?;
    let info = state.hub.checkpoint(&room.room, name).await?;
    Ok(created(&room.asked, info))
}

async fn get_version(
    State(state): State<AppState>,
    client: ClientAddr,
    token: Token,
    Path((raw, version)): Path<(String, String)>,
) -> Result<Json<VersionText>, ApiError> {
    let room = admit(&state, &client, &raw, &token).await?;
    let version = room_version(&state, &room, &version).await?;
    Ok(Json(VersionText {
        info: version.info.into(),
        code: version.code,
    }))
}

async fn rename_version(
    State(state): State<AppState>,
    client: ClientAddr,
    token: Token,
    Path((raw, version)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<VersionView>, ApiError> {
    let Some(Rename { name }) = json_body(&headers, body)? else {
        return Err(ApiError::Unprocessable(
            "a body {\"name\": string or null} is required".into(),
        ));
    };
    let max = state.settings.history.max_name_chars;
    let name = match name {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(parse_name(&s, max)?),
        _ => {
            return Err(ApiError::Unprocessable(
                "name must be a string or null".into(),
            ));
        }
    };
    let room = admit(&state, &client, &raw, &token).await?.editor()?;
    let target = room_version(&state, &room, &version).await?;
    let max_versions = state.settings.history.max_versions;
    let info = state
        .hub
        .store()
        .name_version(&room.room, target.info.id, name.as_deref(), max_versions)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("version {version} not found")))?;
    Ok(Json(info.into()))
}

async fn restore_version(
    State(state): State<AppState>,
    client: ClientAddr,
    token: Token,
    Path((raw, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let room = admit(&state, &client, &raw, &token).await?.editor()?;
    let target = room_version(&state, &room, &version).await?;
    let info = state.hub.restore(&room.room, target).await?;
    Ok(created(&room.asked, info))
}

async fn download_version(
    State(state): State<AppState>,
    client: ClientAddr,
    token: Token,
    Path((raw, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let room = admit(&state, &client, &raw, &token).await?;
    let version = room_version(&state, &room, &version).await?;
    let extension = Language::parse(&version.info.language)
        .map(|l| l.extension())
        .unwrap_or("txt");
    // Room ids and numbers are safe in a quoted filename.
    let filename = format!("{}-v{}.{extension}", room.asked, version.info.id);
    let disposition = format!("attachment; filename=\"{filename}\"");
    let mut response = version.code.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
