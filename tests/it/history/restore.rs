//! Restores: a forward change that reaches every client on every
//! instance and can itself be undone; and history that outlives
//! compaction of the update log and a restart.

use std::time::Duration;

use serde_json::json;

use super::{WAIT, post, version, versions, wait_versions};
use crate::support::server::Backing;
use crate::support::{Cluster, JsonClient, PUBSUB_CUTS, Server, YjsClient, eventually};

#[tokio::test]
async fn a_restore_on_one_instance_reaches_clients_on_another_and_can_be_undone() {
    let _shared = PUBSUB_CUTS.read().await;
    let cluster = Cluster::start(3).await;
    let [s0, s1, s2] = &cluster.servers[..] else {
        unreachable!()
    };
    let room = s1.create_room().await;
    let yjs = YjsClient::connect(&s1.ws(&format!("/yjs/{room}"))).await;
    let mut json = JsonClient::connect(&s1.ws(&format!("/ws/{room}"))).await;
    yjs.append("old = 'kept'\n");
    assert!(json.wait_text(WAIT, |t| t.contains("old = 'kept'")).await);
    let old = yjs.text();
    assert!(eventually(WAIT, || async { s2.stored_code(&room).await == old }).await);
    // Named on an instance where the room is not live: the text is current.
    let (status, v1) = post(
        s2,
        &format!("/api/rooms/{room}/versions"),
        Some(json!({"name": "v1"})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(version(s0, &room, &v1["id"]).await["code"], old.as_str());

    yjs.set_language("rust");
    yjs.append("new = 'lost?'\n");
    assert!(json.wait_text(WAIT, |t| t.contains("new = 'lost?'")).await);
    let text = format!("{}json = 'too'\n", json.text);
    json.send_code(&text).await;
    assert!(yjs.wait_text(WAIT, |t| t.contains("json = 'too'")).await);
    let newer = yjs.text();
    assert!(eventually(WAIT, || async { s0.stored_code(&room).await == newer }).await);

    let (status, restored) = post(
        s0,
        &format!("/api/rooms/{room}/versions/{}/restore", v1["id"]),
        None,
    )
    .await;
    assert_eq!(status, 201, "{restored}");
    assert_eq!(restored["kind"], "restore");
    assert_eq!(restored["restored_from"], v1["id"]);
    assert!(
        yjs.wait_text(WAIT, |t| t == old).await,
        "yjs: {:?}",
        yjs.text()
    );
    assert!(
        json.wait_text(WAIT, |t| t == old).await,
        "json: {:?}",
        json.text
    );
    assert!(
        yjs.wait(WAIT, |c| c.language().as_deref() == Some("python"))
            .await
    );
    for server in &cluster.servers {
        let found = eventually(WAIT, || async { server.stored_code(&room).await == old }).await;
        assert!(found, "GET on port {} disagrees", server.port);
        assert_eq!(server.get_room(&room).await["language"], "python");
    }

    // What was there before is the version just before the restore.
    let list = versions(s1, &room).await;
    assert_eq!(list[0]["id"], restored["id"]);
    let before = version(s1, &room, &list[1]["id"]).await;
    assert_eq!(before["code"], newer.as_str(), "{list:#?}");
    assert_eq!(before["language"], "rust");
    let (status, _) = post(
        s2,
        &format!("/api/rooms/{room}/versions/{}/restore", before["id"]),
        None,
    )
    .await;
    assert_eq!(status, 201);
    assert!(
        yjs.wait_text(WAIT, |t| t == newer).await,
        "undo: {:?}",
        yjs.text()
    );
    assert!(json.wait_text(WAIT, |t| t == newer).await);
    // The clients edit on as before.
    json.send_code(&format!("{newer}after = 1\n")).await;
    assert!(yjs.wait_text(WAIT, |t| t.ends_with("after = 1\n")).await);
}

/// Versions are kept beside the update log: compaction leaves them, and
/// so does a restart; a restored version after both is still exact.
async fn history_outlives_compaction_and_restart(backing: Backing) {
    let backing = backing
        .with("PAIRPROG__PERSIST__COMPACT_EVERY", "2")
        .with("PAIRPROG__HISTORY__QUIET_SECS", "1");
    let mut server = Server::start(&backing).await;
    let room = server.create_room().await;
    let yjs = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    yjs.append("first = 1\n");
    let first_text = yjs.text();
    let first = wait_versions(&server, &room, 1).await[0].clone();
    for i in 0..10 {
        yjs.append(&format!("more = {i}\n"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let typed = yjs.text();
    assert!(eventually(WAIT, || async { server.stored_code(&room).await == typed }).await);
    let (status, named) = post(
        &server,
        &format!("/api/rooms/{room}/versions"),
        Some(json!({"name": "later"})),
    )
    .await;
    assert_eq!(status, 201);
    if backing.database_url.is_some() {
        let db = backing.postgres().await;
        let compacted = eventually(WAIT, || async {
            let rows: i64 = db
                .query_one(
                    "SELECT count(*) FROM room_updates WHERE room_id = $1",
                    &[&room],
                )
                .await
                .unwrap()
                .get(0);
            rows < 2
        })
        .await;
        assert!(compacted, "the update log was compacted");
    }
    let before = versions(&server, &room).await;
    drop(yjs);
    assert!(server.terminate().await.success());
    server.restart().await;

    let after = versions(&server, &room).await;
    assert_eq!(after, before);
    assert_eq!(after[0]["id"], named["id"]);
    let (status, _) = post(
        &server,
        &format!("/api/rooms/{room}/versions/{}/restore", first["id"]),
        None,
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(server.stored_code(&room).await, first_text);
    let yjs = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    assert_eq!(yjs.text(), first_text);
}

#[tokio::test]
async fn history_outlives_compaction_and_restart_in_postgres() {
    let _shared = PUBSUB_CUTS.read().await;
    history_outlives_compaction_and_restart(Backing::distributed().await).await;
}

#[tokio::test]
async fn history_outlives_compaction_and_restart_in_sqlite() {
    history_outlives_compaction_and_restart(Backing::embedded()).await;
}

/// By the view id the history reads but does not change, and never names
/// the edit id; with tokens on, a token is needed and its role counts.
#[tokio::test]
async fn viewers_read_the_history_and_only_editors_change_it() {
    use crate::support::access::{SECRET, create_room, token};
    let backing = Backing::embedded()
        .with("PAIRPROG__AUTH__TOKEN_SECRET", SECRET)
        .with("PAIRPROG__HISTORY__MAX_PAGE", "1");
    let server = Server::start(&backing).await;
    let (room, view) = create_room(&server, Some(&token("*", "edit", 60))).await;
    let edit = token(&room, "edit", 60);
    let watch = token(&room, "view", 60);
    let client = reqwest::Client::new();
    let call = |method: reqwest::Method, path: String, bearer: Option<String>| {
        let mut request = client.request(method, server.http(&path));
        if let Some(t) = bearer {
            request = request.bearer_auth(t);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    use reqwest::Method;
    let versions = |id: &str| format!("/api/rooms/{id}/versions");
    for _ in 0..2 {
        let (status, _) = call(Method::POST, versions(&room), Some(edit.clone())).await;
        assert_eq!(status, 201);
    }
    let (status, body) = call(Method::GET, versions(&view), Some(watch.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !body.contains(&room),
        "the view id's answer names the edit id: {body}"
    );
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["roomId"], view.as_str());
    let next = page["next"].as_str().expect("a second page");
    assert!(
        next.starts_with(&format!("/api/rooms/{view}/versions?")),
        "{next}"
    );
    let id = page["versions"][0]["id"].clone();
    let one = format!("{}/{id}", versions(&view));
    assert_eq!(
        call(Method::GET, one.clone(), Some(watch.clone())).await.0,
        200
    );
    let (status, _) = call(Method::GET, format!("{one}/download"), Some(watch.clone())).await;
    assert_eq!(status, 200);
    // Changing it takes an editor: a view id, or a view token, is refused.
    for (asked, bearer) in [(&view, &edit), (&room, &watch)] {
        let base = versions(asked);
        let (status, _) = call(Method::POST, base.clone(), Some(bearer.clone())).await;
        assert_eq!(status, 403);
        let (status, _) = call(
            Method::POST,
            format!("{base}/{id}/restore"),
            Some(bearer.clone()),
        )
        .await;
        assert_eq!(status, 403);
    }
    let response = client
        .patch(server.http(&one))
        .bearer_auth(&edit)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // No token, no history.
    assert_eq!(call(Method::GET, versions(&room), None).await.0, 401);
    assert_eq!(
        call(
            Method::POST,
            format!("{}/{id}/restore", versions(&room)),
            None
        )
        .await
        .0,
        401
    );
    let (status, _) = call(
        Method::POST,
        format!("{}/{id}/restore", versions(&room)),
        Some(edit),
    )
    .await;
    assert_eq!(status, 201);
}
