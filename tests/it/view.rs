//! View links on three instances: a viewer watches (text, language,
//! cursors) and is seen, but its changes never reach anyone or Postgres,
//! whatever client it uses; and the view id never leads to the edit id.

use std::time::Duration;

use serde_json::json;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::encoder::Encode;
use yrs::{Text, Transact};

use crate::support::access::{create_room, get_room, postgres_texts};
use crate::support::{Cluster, JsonClient, PUBSUB_CUTS, YjsClient, eventually};

const WAIT: Duration = Duration::from_secs(10);

/// An update typing `text` into a fresh document: what a raw y-protocols
/// client that ignores the UI would send.
fn rogue_update(text: &str) -> Vec<u8> {
    let doc = pairprog::doc::new_doc();
    let code = doc.get_or_insert_text(pairprog::doc::CODE);
    let mut txn = doc.transact_mut();
    code.insert(&mut txn, 0, text);
    txn.encode_update_v1()
}

#[tokio::test]
async fn viewers_on_both_protocols_watch_and_are_seen_but_never_edit() {
    let _shared = PUBSUB_CUTS.read().await;
    let cluster = Cluster::start(3).await;
    let [s0, s1, s2] = &cluster.servers[..] else {
        unreachable!()
    };
    let (room, view) = create_room(s0, None).await;
    let editor = YjsClient::connect(&s0.ws(&format!("/yjs/{room}"))).await;
    let mut json_editor = JsonClient::connect(&s1.ws(&format!("/ws/{room}"))).await;
    assert_eq!(json_editor.init["role"], "edit");
    let viewer = YjsClient::connect(&s1.ws(&format!("/yjs/{view}"))).await;
    let mut json_viewer = JsonClient::connect(&s2.ws(&format!("/ws/{view}"))).await;
    assert_eq!(json_viewer.init["role"], "view");

    // The editor's typing and language reach every viewer.
    editor.append("print('from the editor')\n");
    editor.set_language("rust");
    assert!(
        viewer
            .wait_text(WAIT, |t| t.contains("from the editor"))
            .await
    );
    assert!(
        json_viewer
            .wait_text(WAIT, |t| t.contains("from the editor"))
            .await
    );
    assert!(
        eventually(WAIT, || async {
            viewer.language().as_deref() == Some("rust")
        })
        .await,
        "{:?}",
        viewer.language()
    );

    // The viewers' cursors reach the editors, marked as a viewer's.
    // Renewed every second, as providers renew their state (every 15 s).
    let mut seen = false;
    for _ in 0..10 {
        viewer
            .set_awareness(r##"{"user":{"name":"Vera","color":"#0090ff"},"cursor":{"anchor":3}}"##);
        let marked = |c: &YjsClient| {
            c.peers()
                .iter()
                .any(|(_, s)| s.contains("Vera") && s.contains(r#""role":"view""#))
        };
        if editor.wait(Duration::from_secs(1), marked).await {
            seen = true;
            break;
        }
    }
    assert!(seen, "editor saw {:?}", editor.peers());
    json_viewer
        .send(json!({"type": "cursor", "cursorPosition": 4, "userId": "watcher"}))
        .await;
    let cursor = json_editor.next_of("cursor", WAIT).await.expect("a cursor");
    assert_eq!(
        (cursor["userId"].as_str(), cursor["cursorPosition"].as_u64()),
        (Some("watcher"), Some(4))
    );

    // A JSON viewer's edit is answered read_only; its socket stays open.
    json_viewer
        .send(json!({"type": "code_update", "code": "JSON VIEWER WAS HERE", "language": "go"}))
        .await;
    let error = json_viewer.next_of("error", WAIT).await.expect("an error");
    assert_eq!(error["code"], "read_only");
    json_viewer
        .send(json!({"type": "cursor", "cursorPosition": 1}))
        .await;
    assert!(json_editor.next_of("cursor", WAIT).await.is_some());
    assert_eq!(json_viewer.closed, None);

    // Raw clients on the view id: an update, and a sync step 2 that
    // carries changes, are each refused with 4403.
    let raw_update = YjsClient::connect(&s2.ws(&format!("/yjs/{view}"))).await;
    raw_update.insert(0, "RAW UPDATE ");
    let raw_step2 = YjsClient::connect(&s0.ws(&format!("/yjs/{view}"))).await;
    let step2 = Message::Sync(SyncMessage::SyncStep2(rogue_update("RAW STEP2 ")));
    raw_step2.send_raw(WsMessage::Binary(step2.encode_v1().into()));
    for raw in [&raw_update, &raw_step2] {
        assert!(raw.wait(WAIT, |c| c.closed().is_some()).await);
        assert_eq!(raw.closed(), Some(4403));
    }
    // The yjs viewer that only watched is still connected.
    assert_eq!(viewer.closed(), None);

    // After a flush, nothing of theirs is anywhere.
    editor.append("# last\n");
    assert!(viewer.wait_text(WAIT, |t| t.contains("# last")).await);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let forbidden = ["RAW UPDATE", "RAW STEP2", "JSON VIEWER"];
    let clean = |t: &str| forbidden.iter().all(|f| !t.contains(f)) && t.contains("# last");
    assert!(clean(&editor.text()), "{:?}", editor.text());
    assert!(
        json_editor.wait_text(WAIT, clean).await,
        "{:?}",
        json_editor.text
    );
    for server in &cluster.servers {
        let code = server.stored_code(&room).await;
        assert!(clean(&code), "{code:?}");
        assert_eq!(server.get_room(&room).await["language"], "rust");
    }
    let (merged, column) = postgres_texts(&cluster.backing, &room).await;
    assert!(clean(&merged), "{merged:?}");
    assert!(clean(&column), "{column:?}");
    assert_eq!(merged, editor.text());
}

#[tokio::test]
async fn a_viewer_reconnecting_with_its_copy_is_not_closed() {
    let _shared = PUBSUB_CUTS.read().await;
    let cluster = Cluster::start(3).await;
    let [s0, s1, s2] = &cluster.servers[..] else {
        unreachable!()
    };
    let (room, view) = create_room(s0, None).await;
    let editor = YjsClient::connect(&s0.ws(&format!("/yjs/{room}"))).await;
    editor.append("keep this, delete THIS\n");
    let viewer = YjsClient::connect(&s1.ws(&format!("/yjs/{view}"))).await;
    assert!(viewer.wait_text(WAIT, |t| t.contains("THIS")).await);
    // A deletion: the viewer's sync step 2 will carry it back.
    let at = editor.text().find("THIS").unwrap() as u32;
    for _ in 0..4 {
        editor.delete_char(at as usize);
    }
    assert!(viewer.wait_text(WAIT, |t| !t.contains("THIS")).await);

    // As the browser provider does after a blip, on another instance.
    let again = viewer
        .reconnect(&s2.ws(&format!("/yjs/{view}")))
        .await
        .expect("the viewer reconnects");
    editor.append("after the reconnect\n");
    assert!(
        again
            .wait_text(WAIT, |t| t.contains("after the reconnect"))
            .await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(again.closed(), None);
    assert_eq!(again.text(), editor.text());
}

#[tokio::test]
async fn the_view_id_never_leads_to_the_edit_id() {
    let _shared = PUBSUB_CUTS.read().await;
    let cluster = Cluster::start(3).await;
    let (room, view) = create_room(&cluster.servers[0], None).await;
    assert_eq!(view.len(), 16);
    for server in &cluster.servers {
        let (status, by_edit) = get_room(server, &room, None).await;
        assert_eq!(status, 200);
        assert_eq!(
            (&by_edit["roomId"], &by_edit["viewId"], &by_edit["role"]),
            (&json!(room), &json!(view), &json!("edit"))
        );
        let (status, by_view) = get_room(server, &view, None).await;
        assert_eq!(status, 200);
        assert_eq!(by_view["role"], "view");
        assert_eq!(by_view["roomId"], json!(view));
        assert_eq!(by_view["code"], by_edit["code"]);
        assert!(!by_view.to_string().contains(&room), "{by_view}");
    }
    let s1 = &cluster.servers[1];
    let json_viewer = JsonClient::connect(&s1.ws(&format!("/ws/{view}"))).await;
    assert!(!json_viewer.init.to_string().contains(&room));
    // Near misses of the view id name nothing.
    let mut near = view.clone().into_bytes();
    near[0] = if near[0] == b'a' { b'b' } else { b'a' };
    let near = String::from_utf8(near).unwrap();
    assert_eq!(get_room(s1, &near, None).await.0, 404);
    // (The GET's miss is remembered: the upgrade is then refused with 404.)
    use crate::support::json_client::Refused;
    let refused = JsonClient::try_connect(&s1.ws(&format!("/ws/{near}"))).await;
    assert!(
        matches!(
            refused,
            Err(Refused::Closed(Some(4404)) | Refused::Http(404))
        ),
        "{refused:?}"
    );
}
