//! `/openapi.json` and `/docs`: the API described, and a page to try it,
//! served from the binary so it works with no internet.

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use super::AppState;

const OPENAPI: &str = include_str!("openapi.json");
const DOCS_PAGE: &str = include_str!("docs.html");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/docs", get(|| async { Html(DOCS_PAGE) }))
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

#[cfg(test)]
mod tests {
    #[test]
    fn openapi_document_is_valid_json_with_every_path() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/api/rooms",
            "/api/rooms/{roomId}",
            "/api/rooms/{roomId}/versions",
            "/api/rooms/{roomId}/versions/{versionId}",
            "/api/rooms/{roomId}/versions/{versionId}/restore",
            "/api/rooms/{roomId}/versions/{versionId}/download",
            "/api/autocomplete",
            "/healthz",
            "/readyz",
            "/metrics",
            "/ws/{roomId}",
            "/yjs/{roomId}",
        ] {
            assert!(paths.contains_key(path), "{path} missing");
        }
        // Every refusal the edge answers is documented.
        let statuses = |path: &str, method: &str| {
            doc["paths"][path][method]["responses"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        };
        for (path, method, status) in [
            ("/api/rooms", "post", "415"),
            ("/api/rooms", "post", "429"),
            ("/api/autocomplete", "post", "415"),
            ("/api/rooms/{roomId}", "get", "429"),
            ("/ws/{roomId}", "get", "403"),
            ("/yjs/{roomId}", "get", "403"),
            ("/yjs/{roomId}", "get", "429"),
        ] {
            assert!(
                statuses(path, method).iter().any(|s| s == status),
                "{method} {path}: {status}"
            );
        }
    }
}
