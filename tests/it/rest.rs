//! The REST contract and its error bodies.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::Server;
use crate::support::server::Backing;

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string());
    assert!(body["type"].is_string());
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "detail is always present: {body}"
    );
    body
}

#[tokio::test]
async fn rooms_are_created_and_read() {
    let server = Server::start(&Backing::embedded()).await;
    let http = reqwest::Client::new();

    let response = http.post(server.http("/api/rooms")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    let id = created["roomId"].as_str().unwrap();
    assert_eq!(location, format!("/api/rooms/{id}"));
    assert_eq!(id.len(), 10);
    assert_eq!(created["language"], "python");
    assert_eq!(
        created["code"],
        "# Welcome to the collaborative coding room!\n"
    );
    assert!(created["created_at"].is_string());

    let room = server.get_room(id).await;
    assert_eq!(room["roomId"], id);
    assert_eq!(room["code"], created["code"]);
    assert_eq!(room["connectionCount"], 0);
    assert!(room["updated_at"].is_string());

    let js: Value = http
        .post(server.http("/api/rooms"))
        .json(&json!({"language": "JavaScript"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(js["language"], "javascript");
    assert!(js["code"].as_str().unwrap().starts_with("//"));
}

#[tokio::test]
async fn bad_room_requests_get_problem_json() {
    let server = Server::start(&Backing::embedded()).await;
    let http = reqwest::Client::new();

    let unknown = reqwest::get(server.http("/api/rooms/NoSuchRoom1"))
        .await
        .unwrap();
    problem(unknown, 404).await;
    let malformed = reqwest::get(server.http("/api/rooms/bad!id"))
        .await
        .unwrap();
    problem(malformed, 400).await;
    let too_short = reqwest::get(server.http("/api/rooms/abc")).await.unwrap();
    problem(too_short, 400).await;

    let bad_json = http
        .post(server.http("/api/rooms"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    problem(bad_json, 422).await;
    let bad_language = http
        .post(server.http("/api/rooms"))
        .json(&json!({"language": "<script>"}))
        .send()
        .await
        .unwrap();
    problem(bad_language, 422).await;
    let no_route = reqwest::get(server.http("/api/nothing")).await.unwrap();
    problem(no_route, 404).await;
}

#[tokio::test]
async fn room_creation_is_rate_limited_per_address() {
    let backing = Backing::embedded();
    let server = Server::start_with(&backing, &[("PAIRPROG__LIMITS__ROOMS_PER_MINUTE", "2")]).await;
    let http = reqwest::Client::new();
    for _ in 0..2 {
        let ok = http.post(server.http("/api/rooms")).send().await.unwrap();
        assert_eq!(ok.status(), StatusCode::CREATED);
    }
    let refused = http.post(server.http("/api/rooms")).send().await.unwrap();
    assert!(refused.headers().contains_key("retry-after"));
    problem(refused, 429).await;
}

#[tokio::test]
async fn autocomplete_follows_the_rules_and_rejects_bad_bodies() {
    let server = Server::start(&Backing::embedded()).await;
    let http = reqwest::Client::new();
    let url = server.http("/api/autocomplete");

    let suggestion: Value = http
        .post(&url)
        .json(&json!({"code": "x = 1\ndef ", "cursorPosition": 10, "language": "python"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(suggestion["description"], "Function definition");
    let confidence = suggestion["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&confidence));

    let js: Value = http
        .post(&url)
        .json(&json!({"code": "function ", "cursorPosition": 999, "language": "javascript"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        js["description"], "Function declaration",
        "cursor is clamped"
    );

    for body in [
        json!({"code": "def ", "language": "python"}),
        json!({"code": "def ", "cursorPosition": "4", "language": "python"}),
        json!({"cursorPosition": 4, "language": "python"}),
        json!({"code": 5, "cursorPosition": 4, "language": "python"}),
    ] {
        let response = http.post(&url).json(&body).send().await.unwrap();
        problem(response, 422).await;
    }
    let empty = http.post(&url).send().await.unwrap();
    problem(empty, 422).await;
}

#[tokio::test]
async fn health_metrics_and_docs_are_served_offline() {
    let server = Server::start(&Backing::embedded()).await;
    let health = reqwest::get(server.http("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = reqwest::get(server.http("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);

    let metrics = reqwest::get(server.http("/metrics")).await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("pairprog_rooms_open"), "{text}");
    assert!(text.contains("pairprog_updates_total"), "{text}");

    let openapi: Value = reqwest::get(server.http("/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(openapi["paths"]["/api/rooms"]["post"].is_object());

    let docs = reqwest::get(server.http("/docs")).await.unwrap();
    assert_eq!(docs.status(), 200);
    let page = docs.text().await.unwrap();
    assert!(page.contains("/openapi.json"));
    assert!(
        !page.contains("<script src=\"http") && !page.contains("<link href=\"http"),
        "the docs page loads nothing from the internet"
    );

    // Without a built front end, `/` still answers with a pointer to /docs.
    let index = reqwest::get(server.http("/")).await.unwrap();
    assert_eq!(index.status(), 200);
    assert!(index.text().await.unwrap().contains("/docs"));
}
