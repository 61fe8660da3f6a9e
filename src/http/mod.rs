//! The edge: adapts HTTP and the two WebSocket protocols to the rooms.
//! One `router()` per module, merged here; nothing below this module knows
//! about axum.

pub mod access;
pub mod auth;
mod autocomplete;
mod client_addr;
mod docs;
mod forwarded;
mod health;
mod negative_cache;
pub mod origin;
mod rate_limit;
mod rooms;
mod socket;
mod static_files;
mod unknown_rooms;
mod versions;
mod ws_json;
mod ws_yjs;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use tokio_util::task::TaskTracker;

use serde::Deserialize;

use crate::autocomplete::Engine;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::room::Hub;
use crate::settings::Settings;

pub use access::Gate;
pub use client_addr::{ClientAddr, ClientKey};
pub use rate_limit::RateLimiter;
pub use unknown_rooms::UnknownRooms;
/// The JSON protocol's parser, for the fuzz targets.
pub(crate) use ws_json::{Incoming as JsonIncoming, parse as parse_json};

#[derive(Clone)]
pub struct AppState {
    pub hub: Hub,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    pub autocomplete: Arc<dyn Engine>,
    pub room_creation: Arc<RateLimiter>,
    /// Budget and negative cache of lookups of rooms that do not exist.
    pub unknown_rooms: Arc<UnknownRooms>,
    /// Edit and view ids, and tokens when configured: who may do what.
    pub gate: Arc<Gate>,
    /// Set on SIGTERM: `/readyz` answers 503 from then on.
    pub draining: Arc<AtomicBool>,
    /// Every open WebSocket, so shutdown can wait for their close frames.
    pub sockets: TaskTracker,
}

pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.limits.max_doc_bytes + 64 * 1024;
    Router::new()
        .merge(rooms::router())
        .merge(versions::router())
        .merge(autocomplete::router())
        .merge(health::router())
        .merge(docs::router())
        .merge(ws_yjs::router())
        .merge(ws_json::router())
        .layer(DefaultBodyLimit::max(body_limit))
        .fallback_service(static_files::service(&state.settings.server.static_dir))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .with_state(state)
}

/// `application/json` or `application/*+json`, parameters allowed.
fn is_json(content_type: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(content_type) else {
        return false;
    };
    let essence = text.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || (subtype.len() > 5
                && subtype.is_char_boundary(subtype.len() - 5)
                && subtype[subtype.len() - 5..].eq_ignore_ascii_case("+json")))
}

/// A JSON body, or `None` when the body is empty; errors are problem+json.
/// A body needs `Content-Type: application/json` (415 otherwise, so a
/// cross-site form or `text/plain` fetch cannot post here without a CORS
/// preflight); only an empty body may come without a content type.
fn json_body<T: for<'de> Deserialize<'de>>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Option<T>, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE);
    let not_json =
        || ApiError::UnsupportedMediaType("the body must be Content-Type: application/json".into());
    if content_type.is_some_and(|ct| !is_json(ct.as_bytes())) {
        return Err(not_json());
    }
    let body = body.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(_) => {
            ApiError::TooLarge("request body is over the size limit".into())
        }
        other => ApiError::BadRequest(other.body_text()),
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if content_type.is_none() {
        return Err(not_json());
    }
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| ApiError::Unprocessable(format!("invalid body: {e}")))
}

async fn count_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let class = match response.status().as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    state
        .metrics
        .http_requests
        .get_or_create(&vec![("status", class)])
        .inc();
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_content_types() {
        for ok in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/merge-patch+json",
            "application/vnd.api+JSON ;v=1",
        ] {
            assert!(super::is_json(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "text/plain",
            "text/json",
            "application/x-www-form-urlencoded",
            "application/+json",
            "multipart/form-data; boundary=x",
            "application/jsonx",
            "",
        ] {
            assert!(!super::is_json(bad.as_bytes()), "{bad}");
        }
    }
}
