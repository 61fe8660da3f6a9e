//! The JSON protocol: init, relayed edits without echo, merging of
//! concurrent full-text updates, presence, cursors and bad messages.

use std::time::Duration;

use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::support::server::Backing;
use crate::support::{JsonClient, Server};

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn clients_see_each_others_edits_but_not_their_own() {
    let server = Server::start(&Backing::embedded()).await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/ws/{room}"));
    let mut a = JsonClient::connect(&url).await;
    assert_eq!(a.init["language"], "python");
    assert_eq!(a.init["connectionCount"], 1);
    assert!(a.init["userId"].is_string());
    let mut b = JsonClient::connect(&url).await;
    assert_eq!(b.init["connectionCount"], 2);

    let joined = a.next_of("user_joined", WAIT).await.expect("user_joined");
    assert_eq!(joined["connectionCount"], 2);
    assert!(joined["timestamp"].is_number());

    let edited = format!("{}print('hi')\n", a.text);
    a.send_code(&edited).await;
    let update = b
        .next_of("code_update", WAIT)
        .await
        .expect("b sees a's edit");
    assert_eq!(update["code"], edited.as_str());
    assert_eq!(update["userId"], a.init["userId"]);
    assert_eq!(update["language"], "python");
    assert!(update["timestamp"].is_number());
    assert!(update["version"].as_u64().unwrap() > a.init["version"].as_u64().unwrap());

    // No echo: the next thing `a` hears is b's edit, not its own.
    let b_edit = format!("{edited}# from b\n");
    b.send_code(&b_edit).await;
    let heard = a
        .next_of("code_update", WAIT)
        .await
        .expect("a sees b's edit");
    assert_eq!(heard["code"], b_edit.as_str());

    drop(b);
    let left = a.next_of("user_left", WAIT).await.expect("user_left");
    assert_eq!(left["connectionCount"], 1);
}

#[tokio::test]
async fn concurrent_edits_on_different_lines_are_both_kept() {
    let server = Server::start(&Backing::embedded()).await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/ws/{room}"));
    // As the prototype's clients: no `baseVersion`, the server infers it.
    let mut a = JsonClient::connect(&url).await;
    let mut b = JsonClient::connect(&url).await;
    a.quote_version = false;
    b.quote_version = false;
    let base = "line one\nline two\nline three\n";
    a.send_code(base).await;
    assert!(b.wait_text(WAIT, |t| t == base).await);

    // Both send a full text built on the same base, at the same moment.
    let from_a = "line one (a)\nline two\nline three\n";
    let from_b = "line one\nline two\nline three (b)\n";
    tokio::join!(a.send_code(from_a), b.send_code(from_b));

    let merged = "line one (a)\nline two\nline three (b)\n";
    assert!(
        a.wait_text(WAIT, |t| t == merged).await,
        "a has {:?}",
        a.text
    );
    assert!(
        b.wait_text(WAIT, |t| t == merged).await,
        "b has {:?}",
        b.text
    );
    let stored_soon =
        crate::support::eventually(WAIT, || async { server.stored_code(&room).await == merged })
            .await;
    assert!(stored_soon);
}

#[tokio::test]
async fn cursors_are_relayed_with_a_timestamp() {
    let server = Server::start(&Backing::embedded()).await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/ws/{room}"));
    let mut a = JsonClient::connect(&url).await;
    let mut b = JsonClient::connect(&url).await;
    a.send(json!({"type": "cursor", "cursorPosition": 3, "selectionEnd": 7}))
        .await;
    let cursor = b.next_of("cursor", WAIT).await.expect("cursor relayed");
    assert_eq!(cursor["cursorPosition"], 3);
    assert_eq!(cursor["selectionEnd"], 7);
    assert_eq!(cursor["userId"], a.init["userId"]);
    assert!(cursor["timestamp"].is_number());
}

#[tokio::test]
async fn bad_messages_get_errors_and_the_socket_stays_open() {
    let server = Server::start(&Backing::embedded()).await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/ws/{room}"));
    let mut a = JsonClient::connect(&url).await;
    let mut b = JsonClient::connect(&url).await;

    let cases = [
        (Message::Text("{not json".into()), "bad_json"),
        (
            Message::Text(r#"{"type":"launch_rockets"}"#.into()),
            "unknown_type",
        ),
        (
            Message::Text(r#"{"type":"code_update"}"#.into()),
            "invalid_message",
        ),
        (
            Message::Text(r#"{"type":"code_update","code":42}"#.into()),
            "invalid_message",
        ),
        (Message::Text(r#"[1,2,3]"#.into()), "invalid_message"),
        (Message::Binary(vec![0, 1, 2].into()), "unsupported_frame"),
        (
            Message::Text(r#"{"type":"code_update","code":"x","language":"<bad>"}"#.into()),
            "invalid_language",
        ),
    ];
    for (frame, code) in cases {
        a.send_raw(frame).await;
        let error = a.next_of("error", WAIT).await.expect("an error message");
        assert_eq!(error["code"], code);
        assert!(error["detail"].is_string());
    }
    // Still connected, and the document is untouched by all that.
    let edited = format!("{}ok\n", a.text);
    a.send_code(&edited).await;
    assert!(b.wait_text(WAIT, |t| t == edited).await);
}

#[tokio::test]
async fn an_unknown_room_is_closed_with_4404_and_a_bad_id_refused() {
    let server = Server::start(&Backing::embedded()).await;
    let refused = JsonClient::try_connect(&server.ws("/ws/NoSuchRoom9")).await;
    assert!(
        matches!(
            refused,
            Err(crate::support::json_client::Refused::Closed(Some(4404)))
        ),
        "{refused:?}"
    );
    let bad = JsonClient::try_connect(&server.ws("/ws/bad$id")).await;
    assert!(
        matches!(bad, Err(crate::support::json_client::Refused::Http(400))),
        "{bad:?}"
    );
}
