//! The edge: adapts HTTP and the two WebSocket protocols to the rooms.
//! One `router()` per module, merged here; nothing below this module knows
//! about axum.

mod autocomplete;
mod docs;
mod health;
mod rate_limit;
mod rooms;
mod socket;
mod static_files;
mod ws_json;
mod ws_yjs;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use tokio_util::task::TaskTracker;

use serde::Deserialize;

use crate::autocomplete::Engine;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::room::Hub;
use crate::settings::Settings;

pub use rate_limit::RateLimiter;
/// The JSON protocol's parser, for the fuzz targets.
pub(crate) use ws_json::{Incoming as JsonIncoming, parse as parse_json};

#[derive(Clone)]
pub struct AppState {
    pub hub: Hub,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    pub autocomplete: Arc<dyn Engine>,
    pub room_creation: Arc<RateLimiter>,
    /// Set on SIGTERM: `/readyz` answers 503 from then on.
    pub draining: Arc<AtomicBool>,
    /// Every open WebSocket, so shutdown can wait for their close frames.
    pub sockets: TaskTracker,
}

pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.limits.max_doc_bytes + 64 * 1024;
    Router::new()
        .merge(rooms::router())
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

/// A JSON body, or `None` when the body is empty; errors are problem+json.
fn json_body<T: for<'de> Deserialize<'de>>(
    body: Result<Bytes, BytesRejection>,
) -> Result<Option<T>, ApiError> {
    let body = body.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(_) => {
            ApiError::TooLarge("request body is over the size limit".into())
        }
        other => ApiError::BadRequest(other.body_text()),
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
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
