//! For the view-link and token tests: rooms with both ids, tokens minted
//! as a product's backend would, and what Postgres holds.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};

use super::server::{Backing, Server};

/// A 32-byte HS256 secret for the tests.
pub const SECRET: &str = "test-secret-0123456789-abcdefghij";

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An HS256 token for `room` (or `*`) with `role`, valid for `secs`
/// (negative: expired).
pub fn token(room: &str, role: &str, secs: i64) -> String {
    signed(SECRET, room, role, secs)
}

pub fn signed(secret: &str, room: &str, role: &str, secs: i64) -> String {
    let claims = json!({"room": room, "role": role, "exp": now() + secs, "sub": "t"});
    pairprog::http::auth::sign_hs256(secret.as_bytes(), &claims)
}

pub fn named(room: &str, role: &str, name: &str) -> String {
    let claims = json!({"room": room, "role": role, "exp": now() + 600, "name": name});
    pairprog::http::auth::sign_hs256(SECRET.as_bytes(), &claims)
}

/// An EdDSA token signed with `key`.
pub fn eddsa(key: &SigningKey, room: &str, role: &str, secs: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","typ":"JWT"}"#);
    let claims = json!({"room": room, "role": role, "exp": now() + secs});
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()).to_bytes());
    format!("{input}.{signature}")
}

/// Creates a room (with `token` when given); returns its edit and view ids.
pub async fn create_room(server: &Server, token: Option<&str>) -> (String, String) {
    let mut request = reqwest::Client::new()
        .post(server.http("/api/rooms"))
        .json(&json!({"language": "python"}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("POST /api/rooms");
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("room JSON");
    let id = body["roomId"].as_str().expect("roomId").to_owned();
    let view = body["viewId"].as_str().expect("viewId").to_owned();
    assert_ne!(id, view);
    (id, view)
}

/// `GET /api/rooms/{id}` with an optional bearer token: status and body.
pub async fn get_room(server: &Server, id: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new().get(server.http(&format!("/api/rooms/{id}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("GET /api/rooms/{id}");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The room's text as Postgres holds it: snapshot plus log, merged, and
/// the plain `code` column.
pub async fn postgres_texts(backing: &Backing, room: &str) -> (String, String) {
    let db = backing.postgres().await;
    let snapshot = db
        .query_opt(
            "SELECT state FROM room_snapshots WHERE room_id = $1",
            &[&room],
        )
        .await
        .unwrap();
    let log = db
        .query(
            "SELECT data FROM room_updates WHERE room_id = $1 ORDER BY id",
            &[&room],
        )
        .await
        .unwrap();
    let mut updates: Vec<Vec<u8>> = snapshot.map(|r| r.get(0)).into_iter().collect();
    updates.extend(log.iter().map(|r| r.get::<_, Vec<u8>>(0)));
    let merged = pairprog::doc::compact(updates.iter().map(Vec::as_slice))
        .unwrap()
        .text;
    let code: String = db
        .query_one("SELECT code FROM rooms WHERE id = $1", &[&room])
        .await
        .unwrap()
        .get(0);
    (merged, code)
}
