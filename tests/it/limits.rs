//! Limits: frame and document size, message rate, room capacity. Each
//! refusal has its close code, leaves the document unchanged, and does
//! not disturb another room.

use std::time::Duration;

use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::support::server::Backing;
use crate::support::{JsonClient, Server, YjsClient};

const WAIT: Duration = Duration::from_secs(5);

async fn small_server() -> Server {
    Server::start_with(
        &Backing::embedded(),
        &[
            ("PAIRPROG__LIMITS__MAX_FRAME_BYTES", "4096"),
            ("PAIRPROG__LIMITS__MAX_DOC_BYTES", "8192"),
            ("PAIRPROG__LIMITS__MSGS_PER_SEC", "20"),
            ("PAIRPROG__LIMITS__MSG_BURST", "40"),
            ("PAIRPROG__LIMITS__MAX_CONNS_PER_ROOM", "3"),
        ],
    )
    .await
}

/// A client in another room keeps editing while `room` is abused.
struct Bystander {
    a: JsonClient,
    b: JsonClient,
}

impl Bystander {
    async fn join(server: &Server) -> Self {
        let room = server.create_room().await;
        let url = server.ws(&format!("/ws/{room}"));
        Self {
            a: JsonClient::connect(&url).await,
            b: JsonClient::connect(&url).await,
        }
    }

    async fn still_served(&mut self, marker: &str) {
        let text = format!("{}{marker}\n", self.a.text);
        self.a.send_code(&text).await;
        assert!(
            self.b.wait_text(WAIT, |t| t == text).await,
            "other room unaffected"
        );
    }
}

#[tokio::test]
async fn oversized_frames_close_with_1009_and_change_nothing() {
    let server = small_server().await;
    let mut bystander = Bystander::join(&server).await;
    let room = server.create_room().await;
    let before = server.stored_code(&room).await;

    let mut json = JsonClient::connect(&server.ws(&format!("/ws/{room}"))).await;
    json.send_code(&"x".repeat(5000)).await;
    assert_eq!(json.wait_closed(WAIT).await, Some(1009));

    let yjs = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    yjs.append(&"y".repeat(5000));
    assert!(yjs.wait(WAIT, |c| c.closed().is_some()).await);
    assert_eq!(yjs.closed(), Some(1009));

    // Far over the transport cap too: still a clean 1009.
    let mut huge = JsonClient::connect(&server.ws(&format!("/ws/{room}"))).await;
    huge.send_raw(Message::Text("z".repeat(100_000).into()))
        .await;
    assert_eq!(huge.wait_closed(WAIT).await, Some(1009));

    bystander.still_served("after big frames").await;
    let fresh = JsonClient::connect(&server.ws(&format!("/ws/{room}"))).await;
    assert_eq!(fresh.text, before, "the document is unchanged");
}

#[tokio::test]
async fn a_document_over_its_limit_is_refused_with_1009() {
    let server = small_server().await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/yjs/{room}"));
    let writer = YjsClient::connect(&url).await;
    let reader = YjsClient::connect(&url).await;
    // Grow the document in frames under the frame limit.
    for i in 0..2 {
        writer.append(&format!("{i}{}\n", "a".repeat(3000)));
    }
    let accepted = writer.text();
    assert!(reader.wait_text(WAIT, |t| t == accepted).await);
    writer.append(&"b".repeat(3000));
    assert!(writer.wait(WAIT, |c| c.closed().is_some()).await);
    assert_eq!(writer.closed(), Some(1009));
    // The refused writer no longer counts; the reader does.
    let counted = crate::support::eventually(WAIT, || async {
        server.get_room(&room).await["connectionCount"] == 1
    })
    .await;
    assert!(
        counted,
        "{}",
        server.get_room(&room).await["connectionCount"]
    );
    let fresh = YjsClient::connect(&url).await;
    assert_eq!(fresh.text(), accepted, "the refused edit left no trace");
    assert_eq!(reader.text(), accepted);
}

#[tokio::test]
async fn flooding_a_socket_closes_it_with_4429() {
    let server = small_server().await;
    let mut bystander = Bystander::join(&server).await;
    let room = server.create_room().await;
    let mut flooder = JsonClient::connect(&server.ws(&format!("/ws/{room}"))).await;
    for i in 0..200 {
        flooder
            .send(json!({"type": "cursor", "cursorPosition": i}))
            .await;
    }
    assert_eq!(flooder.wait_closed(WAIT).await, Some(4429));
    bystander.still_served("after the flood").await;
}

#[tokio::test]
async fn a_full_room_refuses_one_more_connection() {
    let server = small_server().await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/ws/{room}"));
    let _a = JsonClient::connect(&url).await;
    let _b = JsonClient::connect(&url).await;
    let _c = JsonClient::connect(&url).await;
    let refused = JsonClient::try_connect(&url).await;
    assert!(
        matches!(
            refused,
            Err(crate::support::json_client::Refused::Closed(Some(1013)))
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_silent_peer_is_dropped_after_two_ping_intervals() {
    use futures_util::StreamExt;

    let server = Server::start_with(
        &Backing::embedded(),
        &[("PAIRPROG__WS__PING_INTERVAL_SECS", "1")],
    )
    .await;
    let room = server.create_room().await;
    let (mut silent, _) = tokio_tungstenite::connect_async(server.ws(&format!("/ws/{room}")))
        .await
        .unwrap();
    // Read `init`, then stop reading: pings go unanswered.
    let _init = silent.next().await;
    assert_eq!(server.get_room(&room).await["connectionCount"], 1);
    let dropped = crate::support::eventually(Duration::from_secs(6), || async {
        server.get_room(&room).await["connectionCount"] == 0
    })
    .await;
    assert!(dropped, "the server gave up on the silent peer");

    // An attentive client (tungstenite answers pings while reading) stays.
    let mut attentive = JsonClient::connect(&server.ws(&format!("/ws/{room}"))).await;
    assert!(attentive.next(Duration::from_secs(4)).await.is_none());
    assert_eq!(attentive.closed, None, "still connected after 4 intervals");
    assert_eq!(server.get_room(&room).await["connectionCount"], 1);
}
