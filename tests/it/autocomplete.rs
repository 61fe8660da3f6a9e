//! `POST /api/autocomplete`: the seed's fields and the ranked list, the
//! text taken from a room (live, then stored, admitted as reading the room
//! is), and every bad request answered with problem JSON.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::access::{SECRET, create_room, token};
use crate::support::server::Backing;
use crate::support::{JsonClient, Server, eventually};

async fn complete(server: &Server, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.http("/api/autocomplete"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn answers_keep_the_seed_fields_and_add_a_ranked_list() {
    let server = Server::start(&Backing::embedded()).await;
    let (status, js) = complete(
        &server,
        json!({"code": "for ", "cursorPosition": 4, "language": "javascript"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        js["description"], "For loop",
        "the JavaScript `for ` has an answer now: {js}"
    );
    assert_eq!(
        js["suggestion"],
        "(let i = 0; i < items.length; i++) {\n  \n}"
    );
    let list = js["suggestions"].as_array().unwrap();
    assert!(list.len() >= 2 && list.len() <= 8, "{js}");
    assert_eq!(list[0]["text"], js["suggestion"]);
    assert_eq!(list[0]["kind"], "snippet");
    assert_eq!(list[0]["label"], "for (let i = 0; i < items.length; i++) {");
    assert_eq!(
        (
            list[0]["replaceBefore"].as_u64(),
            list[0]["replaceAfter"].as_u64()
        ),
        (Some(0), Some(0))
    );
    let confidences: Vec<f64> = list
        .iter()
        .map(|s| s["confidence"].as_f64().unwrap())
        .collect();
    assert!(
        confidences.windows(2).all(|w| w[0] >= w[1]),
        "ranked best first: {confidences:?}"
    );
    assert!(confidences.iter().all(|c| (0.0..=1.0).contains(c)));

    // A name the document defines, after UTF-16 text, with the typed prefix.
    let code = "name = '🙂'\ndef compute_total():\n    pass\ncomp";
    let cursor = code.encode_utf16().count();
    let (_, py) = complete(
        &server,
        json!({"code": code, "cursorPosition": cursor, "language": "python"}),
    )
    .await;
    assert_eq!(py["suggestion"], "ute_total");
    assert_eq!(py["prefixLength"], 4);
    assert_eq!(py["suggestions"][0]["kind"], "function");

    // Nothing fits: the seed's empty answer, and an empty list.
    let (_, none) = complete(
        &server,
        json!({"code": "# for ", "cursorPosition": 6, "language": "python"}),
    )
    .await;
    assert_eq!(
        (none["suggestion"].as_str(), none["confidence"].as_f64()),
        (Some(""), Some(0.0))
    );
    assert_eq!(none["suggestions"], json!([]));
}

#[tokio::test]
async fn a_room_id_completes_its_live_text_then_its_stored_text() {
    let mut server = Server::start(&Backing::embedded()).await;
    let id = server.create_room().await;
    let code = "def compute_total(items):\n    return sum(items)\n\nresult = comp";
    let mut client = JsonClient::connect(&server.ws(&format!("/ws/{id}"))).await;
    client.send_code(code).await;
    let cursor = code.encode_utf16().count();
    let body = json!({"roomId": id, "cursorPosition": cursor});
    let live_answers = eventually(Duration::from_secs(5), || async {
        complete(&server, body.clone()).await.1["suggestion"] == "ute_total"
    })
    .await;
    assert!(
        live_answers,
        "the live document of an open room is completed"
    );

    // Stored, then the instance restarted: the room is not live any more.
    assert!(
        eventually(Duration::from_secs(5), || async {
            server.stored_code(&id).await == code
        })
        .await
    );
    drop(client);
    assert!(server.terminate().await.success());
    server.restart().await;
    let (status, stored) = complete(&server, body.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(
        stored["suggestion"], "ute_total",
        "the room's language (python) is used: {stored}"
    );
    // The request may name another language for the room's text.
    let (_, other) = complete(
        &server,
        json!({"roomId": id, "cursorPosition": 0, "language": "rust"}),
    )
    .await;
    assert_eq!(other["suggestions"], json!([]));
}

#[tokio::test]
async fn bad_requests_are_problems_not_guesses() {
    let server = Server::start(&Backing::embedded()).await;
    for (body, status) in [
        (
            json!({"code": "x", "roomId": "abcdef12", "cursorPosition": 1, "language": "python"}),
            422,
        ),
        (json!({"cursorPosition": 1, "language": "python"}), 422),
        (json!({"code": "x", "cursorPosition": 1}), 422),
        (
            json!({"code": "x", "cursorPosition": 1.5, "language": "python"}),
            422,
        ),
        (
            json!({"code": "x", "cursorPosition": 1, "language": "<b>"}),
            422,
        ),
        (json!({"roomId": "bad id!", "cursorPosition": 1}), 400),
        (json!({"roomId": "NoSuchRoom1", "cursorPosition": 1}), 404),
    ] {
        let response = reqwest::Client::new()
            .post(server.http("/api/autocomplete"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{body}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.unwrap();
        assert!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{problem}"
        );
    }
    // Cursors out of range are clamped.
    let (status, end) = complete(
        &server,
        json!({"code": "import ", "cursorPosition": 1_000_000, "language": "python"}),
    )
    .await;
    assert_eq!((status, end["suggestion"].as_str()), (200, Some("os")));
    let (status, start) = complete(
        &server,
        json!({"code": "import ", "cursorPosition": -3, "language": "python"}),
    )
    .await;
    assert_eq!(
        (status, start["suggestions"].as_array().map(Vec::len)),
        (200, Some(0))
    );
}

#[tokio::test]
async fn the_list_length_and_the_body_size_are_bounded_by_settings() {
    let server = Server::start_with(
        &Backing::embedded(),
        &[
            ("PAIRPROG__AUTOCOMPLETE__MAX_SUGGESTIONS", "2"),
            ("PAIRPROG__LIMITS__MAX_DOC_BYTES", "1000"),
        ],
    )
    .await;
    let (_, two) = complete(
        &server,
        json!({"code": "import ", "cursorPosition": 7, "language": "python"}),
    )
    .await;
    assert_eq!(
        two["suggestions"].as_array().map(Vec::len),
        Some(2),
        "{two}"
    );
    // The body limit is the document limit plus 64 KiB of headroom.
    let big = "x = 1\n".repeat(12_000);
    let response = reqwest::Client::new()
        .post(server.http("/api/autocomplete"))
        .json(&json!({"code": big, "cursorPosition": 0, "language": "python"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
}

#[tokio::test]
async fn a_room_id_is_admitted_as_reading_the_room_is() {
    let backing = Backing::embedded().with("PAIRPROG__AUTH__TOKEN_SECRET", SECRET);
    let server = Server::start_with(
        &backing,
        &[("PAIRPROG__LIMITS__UNKNOWN_ROOMS_PER_MINUTE", "2")],
    )
    .await;
    let any = token("*", "edit", 600);
    let (room, view) = create_room(&server, Some(&any)).await;
    let (other, _) = create_room(&server, Some(&any)).await;
    let ask = |id: String, bearer: Option<String>| {
        let server = &server;
        async move {
            let mut request = reqwest::Client::new()
                .post(server.http("/api/autocomplete"))
                .json(&json!({"roomId": id, "cursorPosition": 0}));
            if let Some(bearer) = bearer {
                request = request.bearer_auth(bearer);
            }
            request.send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(ask(room.clone(), None).await, 401, "no token");
    assert_eq!(
        ask(room.clone(), Some(token(&other, "edit", 600))).await,
        403,
        "another room's token"
    );
    assert_eq!(
        ask(room.clone(), Some(token(&room, "edit", 600))).await,
        200
    );
    assert_eq!(
        ask(view, Some(any.clone())).await,
        200,
        "by the view id too"
    );
    // Unknown ids count against the client's lookup budget, as for GET.
    assert_eq!(ask("NoSuchRoom1".into(), Some(any.clone())).await, 404);
    assert_eq!(ask("NoSuchRoom2".into(), Some(any.clone())).await, 404);
    assert_eq!(ask("NoSuchRoom3".into(), Some(any)).await, 429);
}
