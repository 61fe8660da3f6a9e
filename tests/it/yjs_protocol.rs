//! The y-websocket protocol, awareness, and interop with JSON clients.

use std::time::Duration;

use tokio_tungstenite::tungstenite::Message;

use crate::support::server::Backing;
use crate::support::{JsonClient, Server, YjsClient};

const WAIT: Duration = Duration::from_secs(5);
const WELCOME: &str = "# Welcome to the collaborative coding room!\n";

#[tokio::test]
async fn yjs_clients_sync_and_relay() {
    let server = Server::start(&Backing::embedded()).await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/yjs/{room}"));
    let a = YjsClient::connect(&url).await;
    let b = YjsClient::connect(&url).await;
    assert_eq!(a.text(), WELCOME);
    assert_eq!(a.language().as_deref(), Some("python"));

    a.append("x = 1\n");
    b.insert(0, "#!/usr/bin/env python3\n");
    let both = |t: &str| t.starts_with("#!/usr/bin/env python3\n") && t.ends_with("x = 1\n");
    assert!(a.wait_text(WAIT, both).await, "a: {:?}", a.text());
    assert!(b.wait_text(WAIT, both).await, "b: {:?}", b.text());
    assert_eq!(a.text(), b.text());
}

#[tokio::test]
async fn yjs_and_json_clients_converge_with_unicode() {
    let server = Server::start(&Backing::embedded()).await;
    let room = server.create_room().await;
    let yjs = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    let mut json = JsonClient::connect(&server.ws(&format!("/ws/{room}"))).await;

    // A Yjs edit after an emoji, by UTF-16 offset, reaches the JSON client.
    yjs.append("s = 'héllo 🙂 wörld'\n");
    assert!(
        json.wait_text(WAIT, |t| t.ends_with("s = 'héllo 🙂 wörld'\n"))
            .await
    );
    let offset = format!("{WELCOME}s = 'héllo 🙂").encode_utf16().count() as u32;
    yjs.insert(offset, "!");
    let expected = format!("{WELCOME}s = 'héllo 🙂! wörld'\n");
    assert!(
        json.wait_text(WAIT, |t| t == expected).await,
        "json: {:?}",
        json.text
    );

    // A JSON full-text edit reaches the Yjs client as the same text.
    let from_json = format!("{expected}# ünïcode from json 🎉\n");
    json.send_code(&from_json).await;
    assert!(
        yjs.wait_text(WAIT, |t| t == from_json).await,
        "yjs: {:?}",
        yjs.text()
    );

    // The language lives in meta.language for both.
    yjs.set_language("rust");
    let update = json
        .next_of("code_update", WAIT)
        .await
        .expect("language change");
    assert_eq!(update["language"], "rust");
    json.send(serde_json::json!({"type": "code_update", "code": from_json, "language": "go"}))
        .await;
    assert!(
        yjs.wait(WAIT, |c| c.language().as_deref() == Some("go"))
            .await
    );
}

#[tokio::test]
async fn awareness_is_relayed_and_removed_on_disconnect() {
    let server = Server::start(&Backing::embedded()).await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/yjs/{room}"));
    let a = YjsClient::connect(&url).await;
    let b = YjsClient::connect(&url).await;
    a.set_awareness(r##"{"user":{"name":"Ada","color":"#ff0000"},"cursor":{"anchor":1}}"##);
    let a_id = a.client_id();
    assert!(
        b.wait(WAIT, |c| c
            .peers()
            .iter()
            .any(|(id, s)| *id == a_id && s.contains("Ada")))
            .await,
        "b sees a's awareness"
    );
    // A late joiner gets the current states on join.
    let c = YjsClient::connect(&url).await;
    assert!(
        c.wait(WAIT, |c| c.peers().iter().any(|(id, _)| *id == a_id))
            .await
    );

    a.close();
    assert!(
        b.wait(WAIT, |c| !c.peers().iter().any(|(id, _)| *id == a_id))
            .await,
        "a's awareness is removed when it disconnects: {:?}",
        b.peers()
    );
    assert!(c.wait(WAIT, |c| c.peers().is_empty()).await);
}

#[tokio::test]
async fn malformed_yjs_frames_close_the_socket_and_leave_the_document_alone() {
    let server = Server::start(&Backing::embedded()).await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/yjs/{room}"));
    let watcher = YjsClient::connect(&url).await;

    let garbage = YjsClient::connect(&url).await;
    garbage.send_raw(Message::Binary(vec![0, 2, 200, 1, 7].into()));
    assert!(garbage.wait(WAIT, |c| c.closed().is_some()).await);
    assert!(
        matches!(garbage.closed(), Some(4400 | 1007)),
        "{:?}",
        garbage.closed()
    );

    let texty = YjsClient::connect(&url).await;
    texty.send_raw(Message::Text("hello".into()));
    assert!(texty.wait(WAIT, |c| c.closed().is_some()).await);
    assert_eq!(texty.closed(), Some(1003));

    // A well-formed sync message whose update is not a valid update: the
    // edge walks the update too and refuses the frame.
    let bad_update = YjsClient::connect(&url).await;
    bad_update.send_update(vec![0xff; 16]);
    assert!(bad_update.wait(WAIT, |c| c.closed().is_some()).await);
    assert_eq!(bad_update.closed(), Some(4400));

    watcher.append("still fine\n");
    let fresh = YjsClient::connect(&url).await;
    assert!(
        fresh
            .wait_text(WAIT, |t| t == format!("{WELCOME}still fine\n"))
            .await
    );
    assert_eq!(
        server.stored_code(&room).await,
        format!("{WELCOME}still fine\n")
    );
}

/// The process's peak resident memory (VmHWM), in bytes.
fn peak_memory(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[tokio::test]
async fn hostile_frames_are_refused_within_bounded_memory() {
    let server = Server::start(&Backing::embedded()).await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/yjs/{room}"));
    let elsewhere = server.ws(&format!("/yjs/{}", server.create_room().await));
    let (a, b) = (
        YjsClient::connect(&elsewhere).await,
        YjsClient::connect(&elsewhere).await,
    );
    let before = peak_memory(server.pid());

    // A query, then a state vector that claims 2^28 entries in 5 bytes.
    let probe = [0x03, 0x00, 0x00, 0x05, 0x80, 0x80, 0x80, 0x80, 0x01];
    for _ in 0..20 {
        let attacker = YjsClient::connect(&url).await;
        attacker.send_raw(Message::Binary(probe.to_vec().into()));
        assert!(attacker.wait(WAIT, |c| c.closed().is_some()).await);
        assert_eq!(attacker.closed(), Some(4400));
    }
    // 100,000 awareness queries in one frame.
    let queries = YjsClient::connect(&url).await;
    queries.send_raw(Message::Binary(vec![0x03; 100_000].into()));
    assert!(queries.wait(WAIT, |c| c.closed().is_some()).await);
    assert_eq!(queries.closed(), Some(4429));

    let growth = peak_memory(server.pid()).saturating_sub(before);
    assert!(growth < 16 << 20, "peak memory grew by {growth} bytes");
    a.append("still served\n");
    assert!(
        b.wait_text(Duration::from_secs(1), |t| t.ends_with("still served\n"))
            .await,
        "the other room's edit is relayed within 1 s"
    );
    let metrics = reqwest::get(server.http("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        r#"pairprog_rejected_messages_total{reason="malformed_frame"} 20"#,
        r#"pairprog_rejected_messages_total{reason="too_many_messages_in_frame"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}

#[tokio::test]
async fn unknown_yjs_room_closes_with_4404() {
    let server = Server::start(&Backing::embedded()).await;
    let client = YjsClient::open(&server.ws("/yjs/NoSuchRoom7")).await;
    assert!(client.wait(WAIT, |c| c.closed().is_some()).await);
    assert_eq!(client.closed(), Some(4404));
}
