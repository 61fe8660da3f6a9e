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
