//! The built browser app from `frontend/dist`: hashed `/assets/*` cached
//! for a year, everything else revalidated, unknown paths answered with
//! `index.html` so client-side routes like `/r/{roomId}` load the app.

use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

use crate::error::ApiError;

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>pairprog</title>\
<h1>pairprog</h1><p>The browser app is not built (run <code>make run</code>, which builds \
<code>frontend/</code>). The API is documented at <a href=\"/docs\">/docs</a>.</p>";

pub fn service(dir: &Path) -> Router {
    let router = if dir.join("index.html").is_file() {
        // `fallback`, not `not_found_service`: a client-side route like
        // `/r/{roomId}` is the app, answered 200.
        let spa = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
        Router::new().fallback_service(spa)
    } else {
        Router::new().fallback(|| async { Html(NOT_BUILT) })
    };
    router
        .layer(middleware::from_fn(cache_headers))
        .layer(CompressionLayer::new())
}

async fn cache_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    // Unknown API or socket paths are errors, never the app's index.
    if ["/api/", "/ws/", "/yjs/"]
        .iter()
        .any(|p| path.starts_with(p))
        || path == "/api"
    {
        return ApiError::NotFound(format!("no route for {path}")).into_response();
    }
    let mut response = next.run(request).await;
    let policy = if path.starts_with("/assets/") && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    response
}
