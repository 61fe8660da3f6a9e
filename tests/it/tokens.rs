//! Signed tokens on three instances: with `auth.token_secret` set, every
//! room call needs a token naming the room (or `*`) and a role. Valid,
//! expired, wrong room, wrong role, wrong signature and missing, on both
//! protocols and REST; expiry mid-session; Ed25519 keys.

use std::time::Duration;

use ed25519_dalek::SigningKey;
use serde_json::json;

use crate::support::access::{SECRET, create_room, eddsa, get_room, named, signed, token};
use crate::support::json_client::Refused;
use crate::support::server::Backing;
use crate::support::{Cluster, JsonClient, PUBSUB_CUTS, Server, YjsClient};

const WAIT: Duration = Duration::from_secs(10);

async fn secured(n: usize) -> Cluster {
    let backing = Backing::distributed()
        .await
        .with("PAIRPROG__AUTH__TOKEN_SECRET", SECRET);
    Cluster::start_on(backing, n).await
}

/// The close code a Yjs connection with `token` ends with, if it is
/// refused (`None`: it synced and stays).
async fn yjs_refusal(url: &str) -> Option<u16> {
    let client = YjsClient::open(url).await;
    client
        .wait(WAIT, |c| c.closed().is_some() || !c.text().is_empty())
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    client.closed()
}

fn q(path: &str, token: &str) -> String {
    format!("{path}?token={token}")
}

#[tokio::test]
async fn tokens_decide_who_gets_in_and_with_what_role() {
    let _shared = PUBSUB_CUTS.read().await;
    let cluster = secured(3).await;
    let [s0, s1, s2] = &cluster.servers[..] else {
        unreachable!()
    };
    // Creating a room needs an `edit` token for every room.
    let post = |token: Option<String>| {
        let mut request = reqwest::Client::new()
            .post(s0.http("/api/rooms"))
            .json(&json!({}));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(None).await, 401);
    assert_eq!(post(Some(token("*", "view", 60))).await, 403);
    assert_eq!(post(Some(token("someroom1", "edit", 60))).await, 403);
    let (room, view) = create_room(s0, Some(&token("*", "edit", 60))).await;
    let (other, _) = create_room(s0, Some(&token("*", "edit", 60))).await;

    let edit = token(&room, "edit", 600);
    let cases = [
        ("missing", None),
        ("expired", Some(token(&room, "edit", -5))),
        (
            "wrong signature",
            Some(signed(
                "another secret, also 32 bytes long!",
                &room,
                "edit",
                600,
            )),
        ),
        ("wrong room", Some(token(&other, "edit", 600))),
        ("garbage", Some("not.a.token".to_owned())),
    ];
    for (what, bad) in &cases {
        let yjs = match bad {
            Some(t) => s1.ws(&q(&format!("/yjs/{room}"), t)),
            None => s1.ws(&format!("/yjs/{room}")),
        };
        assert_eq!(yjs_refusal(&yjs).await, Some(4401), "yjs, {what}");
        let json = JsonClient::try_connect_as(&s2.ws(&format!("/ws/{room}")), bad.as_deref()).await;
        assert!(
            matches!(json, Err(Refused::Closed(Some(4401)))),
            "json, {what}: {json:?}"
        );
        let expected = if *what == "wrong room" { 403 } else { 401 };
        assert_eq!(
            get_room(s0, &room, bad.as_deref()).await.0,
            expected,
            "GET, {what}"
        );
    }
    // Autocomplete needs an editor's token too.
    let autocomplete = |token: Option<String>| {
        let mut request = reqwest::Client::new()
            .post(s2.http("/api/autocomplete"))
            .json(&json!({"code": "pri", "cursorPosition": 3, "language": "python"}));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(autocomplete(None).await, 401);
    assert_eq!(autocomplete(Some(token(&room, "view", 60))).await, 403);
    assert_eq!(autocomplete(Some(edit.clone())).await, 200);

    // Valid: an editor on each protocol, by query and by header.
    let editor = YjsClient::connect(&s0.ws(&q(&format!("/yjs/{room}"), &edit))).await;
    let mut json_editor = JsonClient::try_connect_as(&s1.ws(&format!("/ws/{room}")), Some(&edit))
        .await
        .expect("a valid token is let in");
    assert_eq!(json_editor.init["role"], "edit");
    editor.append("from a token holder\n");
    assert!(
        json_editor
            .wait_text(WAIT, |t| t.contains("from a token holder"))
            .await
    );
    let (status, body) = get_room(s2, &room, Some(&edit)).await;
    assert_eq!(
        (status, &body["role"], &body["viewId"]),
        (200, &json!("edit"), &json!(view))
    );

    // Wrong role: a view token on the edit id only watches, on both
    // protocols, and REST does not hand it the edit id.
    let watch = token(&room, "view", 600);
    let viewer = YjsClient::connect(&s2.ws(&q(&format!("/yjs/{room}"), &watch))).await;
    let mut json_viewer = JsonClient::try_connect_as(&s0.ws(&format!("/ws/{room}")), Some(&watch))
        .await
        .expect("a view token is let in");
    assert_eq!(json_viewer.init["role"], "view");
    json_viewer
        .send(json!({"type": "code_update", "code": "VIEW TOKEN EDIT"}))
        .await;
    assert_eq!(
        json_viewer.next_of("error", WAIT).await.unwrap()["code"],
        "read_only"
    );
    viewer.insert(0, "VIEW TOKEN YJS ");
    assert!(viewer.wait(WAIT, |c| c.closed().is_some()).await);
    assert_eq!(viewer.closed(), Some(4403));
    let (status, body) = get_room(s1, &room, Some(&watch)).await;
    assert_eq!(
        (status, &body["role"], &body["roomId"]),
        (200, &json!("view"), &json!(view))
    );
    // An `edit` token naming the view id still only watches.
    let edit_on_view = token(&view, "edit", 600);
    let (_, body) = get_room(s1, &room, Some(&edit_on_view)).await;
    assert_eq!(body["role"], "view");
    // A token for the room works on its view id, as a viewer.
    let by_view = JsonClient::try_connect_as(&s2.ws(&format!("/ws/{view}")), Some(&edit))
        .await
        .expect("the room's token opens its view id");
    assert_eq!(by_view.init["role"], "view");

    // A `*` token opens any room; a token's name is what the others see.
    let ada =
        YjsClient::connect(&s1.ws(&q(&format!("/yjs/{view}"), &named("*", "view", "Ada L."))))
            .await;
    ada.set_awareness(r##"{"user":{"name":"Mallory","color":"#e5484d"}}"##);
    let seen = editor
        .wait(WAIT, |c| {
            c.peers().iter().any(|(_, s)| s.contains("Ada L."))
        })
        .await;
    assert!(seen, "{:?}", editor.peers());
    assert!(!editor.peers().iter().any(|(_, s)| s.contains("Mallory")));

    editor.append("# end\n");
    assert!(json_editor.wait_text(WAIT, |t| t.contains("# end")).await);
    assert!(
        !json_editor.text.contains("VIEW TOKEN"),
        "{:?}",
        json_editor.text
    );
    let (_, body) = get_room(s0, &room, Some(&edit)).await;
    assert!(
        !body["code"].as_str().unwrap().contains("VIEW TOKEN"),
        "{body}"
    );
}

#[tokio::test]
async fn a_token_running_out_mid_session_closes_with_4401() {
    let _shared = PUBSUB_CUTS.read().await;
    let cluster = secured(2).await;
    let [s0, s1] = &cluster.servers[..] else {
        unreachable!()
    };
    let (room, _) = create_room(s0, Some(&token("*", "edit", 60))).await;
    let short = token(&room, "edit", 2);
    let yjs = YjsClient::connect(&s0.ws(&q(&format!("/yjs/{room}"), &short))).await;
    let mut json = JsonClient::try_connect_as(&s1.ws(&format!("/ws/{room}")), Some(&short))
        .await
        .expect("valid for now");
    let started = std::time::Instant::now();
    assert_eq!(json.wait_closed(Duration::from_secs(6)).await, Some(4401));
    assert!(
        yjs.wait(Duration::from_secs(6), |c| c.closed().is_some())
            .await
    );
    assert_eq!(yjs.closed(), Some(4401));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // A fresh token: the session goes on, nothing lost.
    let fresh = token(&room, "edit", 600);
    let again = yjs
        .reconnect(&s1.ws(&q(&format!("/yjs/{room}"), &fresh)))
        .await
        .expect("a new token lets it back in");
    again.append("after renewal\n");
    let mut json = JsonClient::try_connect_as(&s0.ws(&format!("/ws/{room}")), Some(&fresh))
        .await
        .unwrap();
    assert!(json.wait_text(WAIT, |t| t.contains("after renewal")).await);
}

#[tokio::test]
async fn ed25519_tokens_verify_with_the_configured_public_key() {
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let public = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        key.verifying_key().as_bytes(),
    );
    let backing = Backing::embedded().with("PAIRPROG__AUTH__TOKEN_PUBLIC_KEY", &public);
    let server = Server::start(&backing).await;
    let (room, _) = create_room(&server, Some(&eddsa(&key, "*", "edit", 60))).await;
    let good = eddsa(&key, &room, "edit", 60);
    assert!(
        JsonClient::try_connect_as(&server.ws(&format!("/ws/{room}")), Some(&good))
            .await
            .is_ok()
    );
    let stranger = eddsa(&SigningKey::from_bytes(&[1u8; 32]), &room, "edit", 60);
    let hs256 = token(&room, "edit", 60);
    for bad in [stranger, hs256] {
        let refused =
            JsonClient::try_connect_as(&server.ws(&format!("/ws/{room}")), Some(&bad)).await;
        assert!(
            matches!(refused, Err(Refused::Closed(Some(4401)))),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn without_a_key_tokens_change_nothing() {
    let server = Server::start(&Backing::embedded()).await;
    let (room, _) = create_room(&server, None).await;
    let nonsense = "not.a.token";
    let json = JsonClient::try_connect_as(&server.ws(&format!("/ws/{room}")), Some(nonsense))
        .await
        .expect("tokens are not looked at");
    assert_eq!(json.init["role"], "edit");
    assert_eq!(get_room(&server, &room, Some(nonsense)).await.0, 200);
}
