//! The embedded default keeps rooms across restarts, and a SIGTERM
//! persists everything and closes sockets with 1012.

use std::time::Duration;

use crate::support::server::Backing;
use crate::support::{JsonClient, Server, YjsClient};

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn code_survives_a_restart_and_sigterm_closes_with_1012() {
    let backing = Backing::embedded();
    let mut server = Server::start(&backing).await;
    let room = server.create_room().await;
    let yjs = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    let mut json = JsonClient::connect(&server.ws(&format!("/ws/{room}"))).await;
    yjs.append("kept = True\n");
    assert!(json.wait_text(WAIT, |t| t.ends_with("kept = True\n")).await);
    let expected = json.text.clone();

    // Terminate right after the edit: the flush on shutdown must keep it.
    let status = server.terminate().await;
    assert!(status.success(), "clean exit: {status:?}");
    assert_eq!(json.wait_closed(WAIT).await, Some(1012));
    assert!(yjs.wait(WAIT, |c| c.closed().is_some()).await);
    assert_eq!(yjs.closed(), Some(1012));

    server.restart().await;
    assert_eq!(server.stored_code(&room).await, expected);
    let again = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    assert_eq!(again.text(), expected);
}

#[tokio::test]
async fn a_failed_load_is_refused_and_never_becomes_an_empty_document() {
    let _shared = crate::support::PUBSUB_CUTS.read().await;
    let backing = Backing::distributed().await;
    let server = Server::start(&backing).await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/yjs/{room}"));
    let writer = YjsClient::connect(&url).await;
    writer.append("precious = 1\n");
    let expected = writer.text();
    writer.close();
    tokio::time::sleep(Duration::from_millis(700)).await;

    // Break the store under the room: its update log vanishes for a while.
    let db = backing.postgres().await;
    db.batch_execute("ALTER TABLE room_updates RENAME TO room_updates_away")
        .await
        .unwrap();
    let refused = YjsClient::open(&url).await;
    assert!(refused.wait(WAIT, |c| c.closed().is_some()).await);
    assert_eq!(refused.closed(), Some(1011), "a failed load is an error");
    assert!(refused.text().is_empty(), "no document was served");

    db.batch_execute("ALTER TABLE room_updates_away RENAME TO room_updates")
        .await
        .unwrap();
    let again = YjsClient::connect(&url).await;
    assert_eq!(again.text(), expected, "the stored document is intact");
}
