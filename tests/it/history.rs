//! Room history end to end: checkpoints after bursts of editing, named
//! versions, bounds and bad input, downloads; restores that reach every
//! client on every instance, and history that outlives compaction and
//! restarts, are in [`restore`].

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::server::Backing;
use crate::support::{JsonClient, Server, YjsClient, eventually};

mod restore;

pub(super) const WAIT: Duration = Duration::from_secs(10);

/// Checkpoints after one quiet second, so tests need not wait 30.
const QUICK: &[(&str, &str)] = &[("PAIRPROG__HISTORY__QUIET_SECS", "1")];

pub(super) async fn versions(server: &Server, room: &str) -> Vec<Value> {
    let url = server.http(&format!("/api/rooms/{room}/versions"));
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    page["versions"].as_array().cloned().unwrap_or_default()
}

pub(super) async fn version(server: &Server, room: &str, id: &Value) -> Value {
    let url = server.http(&format!("/api/rooms/{room}/versions/{id}"));
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// `POST` (a JSON body, or none) and the status with the body as JSON.
pub(super) async fn post(server: &Server, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().post(server.http(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn patch(server: &Server, path: &str, body: Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .patch(server.http(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

/// Waits until the room lists `n` versions; returns them.
pub(super) async fn wait_versions(server: &Server, room: &str, n: usize) -> Vec<Value> {
    let found = eventually(WAIT, || async { versions(server, room).await.len() >= n }).await;
    let list = versions(server, room).await;
    assert!(found, "expected {n} versions, got {list:#?}");
    list
}

/// Answers `status` with a problem+json body carrying a `detail`.
async fn assert_problem(response: reqwest::Response, status: u16) {
    assert_eq!(response.status(), status);
    let kind = response.headers()[reqwest::header::CONTENT_TYPE].clone();
    assert_eq!(kind, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert!(body["detail"].is_string(), "{body}");
    assert_eq!(body["status"], status);
}

#[tokio::test]
async fn a_burst_becomes_one_version_after_quiet_and_an_idle_room_records_nothing() {
    let server = Server::start_with(&Backing::embedded(), QUICK).await;
    let room = server.create_room().await;
    let yjs = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    yjs.set_awareness(r##"{"user":{"name":"Ann Otter","color":"#ff0000"}}"##);
    let mut json = JsonClient::connect(&server.ws(&format!("/ws/{room}"))).await;
    yjs.append("x = 1\n");
    assert!(json.wait_text(WAIT, |t| t.ends_with("x = 1\n")).await);
    let text = format!("{}y = 2 🙂\n", json.text);
    json.send_code(&text).await;
    assert!(yjs.wait_text(WAIT, |t| t == text).await);

    let list = wait_versions(&server, &room, 1).await;
    assert_eq!(list.len(), 1, "{list:#?}");
    let v = &list[0];
    assert_eq!(v["kind"], "auto");
    assert_eq!(v["changes"], 2);
    assert_eq!(v["size"], text.len());
    assert_eq!(v["name"], Value::Null);
    let authors: Vec<&str> = v["authors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let json_id = json.init["userId"].as_str().unwrap();
    assert!(authors.contains(&"Ann Otter"), "{authors:?}");
    assert!(authors.contains(&json_id), "{authors:?}");
    let read = version(&server, &room, &v["id"]).await;
    assert_eq!(read["code"], text.as_str());
    assert_eq!(read["language"], "python");

    // Quiet: nothing more is recorded.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(versions(&server, &room).await.len(), 1);
    yjs.append("z = 3\n");
    let list = wait_versions(&server, &room, 2).await;
    assert_eq!(list[0]["changes"], 1, "newest first: {list:#?}");
}

#[tokio::test]
async fn a_long_burst_is_recorded_while_it_lasts_and_an_unload_records_the_rest() {
    let backing = Backing::embedded();
    let extra = [
        ("PAIRPROG__HISTORY__QUIET_SECS", "30"),
        ("PAIRPROG__HISTORY__MAX_BURST_SECS", "1"),
    ];
    let server = Server::start_with(&backing, &extra).await;
    let room = server.create_room().await;
    let yjs = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    for i in 0..12 {
        yjs.append(&format!("line {i}\n"));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let during = versions(&server, &room).await;
    assert!(!during.is_empty(), "recorded while editing went on");
    yjs.append("last line\n");
    let expected = yjs.text();
    yjs.close();
    // Nobody is left: the room unloads, and the open burst is recorded.
    let found = eventually(WAIT, || async {
        let list = versions(&server, &room).await;
        match list.first() {
            Some(v) => version(&server, &room, &v["id"]).await["code"] == expected.as_str(),
            None => false,
        }
    })
    .await;
    assert!(found, "{:#?}", versions(&server, &room).await);
}

#[tokio::test]
async fn versions_are_named_bounded_and_bad_requests_are_problems() {
    let extra = [("PAIRPROG__HISTORY__MAX_VERSIONS", "4")];
    let server = Server::start_with(&Backing::embedded(), &extra).await;
    let room = server.create_room().await;
    let other = server.create_room().await;
    let base = format!("/api/rooms/{room}/versions");

    let response = reqwest::Client::new()
        .post(server.http(&base))
        .json(&json!({"name": "  before refactor  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()[reqwest::header::LOCATION].clone();
    let named: Value = response.json().await.unwrap();
    assert_eq!(named["name"], "before refactor");
    assert_eq!(named["kind"], "manual");
    assert_eq!(
        location.to_str().unwrap(),
        format!("{base}/{}", named["id"])
    );
    let read = version(&server, &room, &named["id"]).await;
    assert_eq!(
        read["code"],
        "# Welcome to the collaborative coding room!\n"
    );

    let client = reqwest::Client::new();
    for bad in [
        json!({"name": "x".repeat(101)}),
        json!({"name": " "}),
        json!({"name": "a\nb"}),
        json!({"name": 7}),
        json!({"nom": "x"}),
    ] {
        let response = client
            .post(server.http(&base))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_problem(response, 422).await;
    }
    let hundred = "ü".repeat(100);
    assert_eq!(
        post(&server, &base, Some(json!({"name": hundred}))).await.0,
        201
    );

    // Renaming, un-naming, and what is not a version of this room.
    let at = |v: &Value| format!("{base}/{v}");
    let (status, renamed) = patch(&server, &at(&named["id"]), json!({"name": "refactor"})).await;
    assert_eq!(
        (status, renamed["name"].as_str()),
        (StatusCode::OK, Some("refactor"))
    );
    let (status, _) = patch(&server, &at(&named["id"]), json!({})).await;
    assert_eq!(status, 422);
    let foreign = format!("/api/rooms/{other}/versions/{}", named["id"]);
    for path in [
        foreign.clone(),
        format!("{foreign}/download"),
        format!("{base}/999999999"),
        format!("{base}/abc"),
        format!("{base}/-1/download"),
    ] {
        assert_problem(reqwest::get(server.http(&path)).await.unwrap(), 404).await;
    }
    let response = client
        .post(server.http(&format!("{foreign}/restore")))
        .send()
        .await
        .unwrap();
    assert_problem(response, 404).await;
    let response = client
        .patch(server.http(&foreign))
        .json(&json!({"name": "mine"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 404).await;
    assert_eq!(
        version(&server, &room, &named["id"]).await["name"],
        "refactor"
    );
    assert_problem(
        reqwest::get(server.http("/api/rooms/nope!/versions"))
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_problem(
        reqwest::get(server.http("/api/rooms/unknown-room/versions"))
            .await
            .unwrap(),
        404,
    )
    .await;
    let response = reqwest::get(server.http(&format!("{base}?limit=lots")))
        .await
        .unwrap();
    assert_problem(response, 400).await;

    // Four places: named ones may take three; the oldest unnamed go first.
    let yjs = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    let mut unnamed = Vec::new();
    for i in 0..3 {
        yjs.append(&format!("v{i}\n"));
        let text = yjs.text();
        assert!(eventually(WAIT, || async { server.stored_code(&room).await == text }).await);
        let (status, v) = post(&server, &base, None).await;
        assert_eq!(status, 201);
        unnamed.push(v["id"].clone());
    }
    let ids: Vec<Value> = versions(&server, &room)
        .await
        .iter()
        .map(|v| v["id"].clone())
        .collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[0], unnamed[2]);
    assert_eq!(ids[1], unnamed[1]);
    assert!(!ids.contains(&unnamed[0]), "the oldest unnamed was pruned");
    assert!(ids.contains(&named["id"]));
    assert_eq!(
        patch(&server, &at(&unnamed[1]), json!({"name": "third"}))
            .await
            .0,
        200
    );
    let response = client
        .post(server.http(&base))
        .json(&json!({"name": "fourth"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 409).await;

    // Pages: newest first, with a link to the next.
    let page: Value = reqwest::get(server.http(&format!("{base}?limit=3")))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["versions"].as_array().unwrap().len(), 3);
    let next = page["next"].as_str().expect("a next page");
    let rest: Value = reqwest::get(server.http(next))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["versions"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next"], Value::Null);
}

#[tokio::test]
async fn a_version_downloads_as_a_file_of_its_language() {
    let server = Server::start(&Backing::embedded()).await;
    let room = server.create_room().await;
    let yjs = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    yjs.set_language("rust");
    yjs.append("fn main() { println!(\"héllo 🙂\"); }\n");
    let text = yjs.text();
    assert!(
        eventually(WAIT, || async {
            let now = server.get_room(&room).await;
            now["language"] == "rust" && now["code"] == text.as_str()
        })
        .await
    );
    let (status, v) = post(&server, &format!("/api/rooms/{room}/versions"), None).await;
    assert_eq!(status, 201);
    let url = server.http(&format!("/api/rooms/{room}/versions/{}/download", v["id"]));
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(
        headers[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let disposition = headers[reqwest::header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"{room}-v{}.rs\"", v["id"])
    );
    assert_eq!(response.text().await.unwrap(), text);
}
