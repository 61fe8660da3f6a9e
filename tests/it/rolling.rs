//! Draining on SIGTERM and rolling restarts behind nginx: clients keep
//! typing through both protocols while every instance in turn is stopped
//! and started again, and no edit is missing afterwards.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::nginx::Nginx;
use crate::support::server::Backing;
use crate::support::{Cluster, JsonClient, PUBSUB_CUTS, Server, YjsClient, eventually};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn sigterm_drains_then_closes_with_1012_after_flushing() {
    let _shared = PUBSUB_CUTS.read().await;
    let backing = Backing::distributed().await;
    let mut server = Server::start_with(&backing, &[("PAIRPROG__SERVER__DRAIN_SECS", "2")]).await;
    let room = server.create_room().await;
    let yjs = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    let mut json = JsonClient::connect(&server.ws(&format!("/ws/{room}"))).await;

    server.signal_term();
    let not_ready = eventually(Duration::from_secs(1), || async {
        let ready = reqwest::get(server.http("/readyz")).await;
        ready.is_ok_and(|r| r.status() == 503)
    })
    .await;
    assert!(not_ready, "/readyz turns 503 at once on SIGTERM");
    assert_eq!(
        reqwest::get(server.http("/healthz"))
            .await
            .unwrap()
            .status(),
        200,
        "still alive while draining"
    );

    // Sockets keep working during the drain.
    let text = format!("{}during drain\n", json.text);
    json.send_code(&text).await;
    assert!(yjs.wait_text(WAIT, |t| t == text).await);

    assert_eq!(json.wait_closed(WAIT).await, Some(1012));
    assert!(yjs.wait(WAIT, |c| c.closed().is_some()).await);
    assert_eq!(yjs.closed(), Some(1012));
    let status = server.wait_exit(WAIT).await;
    assert!(status.success(), "{status:?}");

    // Flushed before closing: another instance reads it from Postgres.
    let other = Server::start(&backing).await;
    assert_eq!(other.stored_code(&room).await, text);
}

/// A person typing one marker line at a time, reconnecting whenever the
/// server goes away. Returns the markers typed and the reconnect count.
async fn yjs_typist(url: String, name: String, stop: Arc<AtomicBool>) -> (YjsClient, usize, usize) {
    let mut client = YjsClient::connect(&url).await;
    let (mut sent, mut reconnects) = (0, 0);
    let mut stopping_since = None;
    loop {
        if client.closed().is_some() {
            match client.reconnect(&url).await {
                Some(fresh) => {
                    client = fresh;
                    reconnects += 1;
                }
                None => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            }
        }
        // After the stop, only make sure the last edits got through.
        if stop.load(Ordering::Relaxed) {
            let since = *stopping_since.get_or_insert_with(tokio::time::Instant::now);
            if client.closed().is_none() || since.elapsed() > Duration::from_secs(10) {
                break;
            }
            continue;
        }
        client.append(&format!("m:{name}:{sent}\n"));
        sent += 1;
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    (client, sent, reconnects)
}

async fn json_typist(
    url: String,
    name: String,
    stop: Arc<AtomicBool>,
) -> (JsonClient, usize, usize) {
    let mut client = JsonClient::connect(&url).await;
    let (mut sent, mut reconnects) = (0, 0);
    let mut stopping_since = None;
    loop {
        if client.closed.is_some() {
            match JsonClient::try_connect(&url).await {
                Ok(mut fresh) => {
                    // Re-type whatever of ours the server does not have.
                    let mut text = fresh.text.clone();
                    for i in 0..sent {
                        let line = format!("m:{name}:{i}\n");
                        if !text.contains(&line) {
                            text.push_str(&line);
                        }
                    }
                    if text != fresh.text {
                        fresh.send_code(&text).await;
                    }
                    client = fresh;
                    reconnects += 1;
                }
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            }
        }
        if stop.load(Ordering::Relaxed) {
            let since = *stopping_since.get_or_insert_with(tokio::time::Instant::now);
            // Stay a moment to see the connection hold (a close after the
            // last keystroke means re-typing on the next instance).
            let _ = client.next(Duration::from_millis(300)).await;
            if client.closed.is_none() || since.elapsed() > Duration::from_secs(10) {
                break;
            }
            continue;
        }
        let text = format!("{}m:{name}:{sent}\n", client.text);
        client.send_code(&text).await;
        sent += 1;
        // Hear the others until the next keystroke.
        let _ = client.next(Duration::from_millis(40)).await;
        while client.next(Duration::from_millis(1)).await.is_some() {}
    }
    (client, sent, reconnects)
}

fn markers(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with("m:"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_rolling_restart_behind_nginx_loses_no_edit() {
    let _shared = PUBSUB_CUTS.read().await;
    let backing = Backing::distributed()
        .await
        .with("PAIRPROG__SERVER__DRAIN_SECS", "1");
    let mut cluster = Cluster::start_on(backing, 3).await;
    let ports: Vec<u16> = cluster.servers.iter().map(|s| s.port).collect();
    let nginx = Nginx::start(&ports).await;
    let room = cluster.servers[0].create_room().await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut yjs_tasks = Vec::new();
    let mut json_tasks = Vec::new();
    for i in 0..3 {
        yjs_tasks.push(tokio::spawn(yjs_typist(
            nginx.ws(&format!("/yjs/{room}")),
            format!("y{i}"),
            stop.clone(),
        )));
        json_tasks.push(tokio::spawn(json_typist(
            nginx.ws(&format!("/ws/{room}")),
            format!("j{i}"),
            stop.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let restarts = AtomicUsize::new(0);
    for server in cluster.servers.iter_mut() {
        server.signal_term();
        let status = server.wait_exit(Duration::from_secs(20)).await;
        assert!(status.success(), "clean exit after SIGTERM: {status:?}");
        server.restart().await;
        restarts.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    stop.store(true, Ordering::Relaxed);

    let mut expected = BTreeSet::new();
    let (mut total_sent, mut total_reconnects) = (0, 0);
    let mut yjs = Vec::new();
    for (i, task) in yjs_tasks.into_iter().enumerate() {
        let (client, sent, reconnects) = task.await.unwrap();
        expected.extend((0..sent).map(|n| format!("m:y{i}:{n}")));
        total_sent += sent;
        total_reconnects += reconnects;
        yjs.push(client);
    }
    let mut json = Vec::new();
    for (i, task) in json_tasks.into_iter().enumerate() {
        let (client, sent, reconnects) = task.await.unwrap();
        expected.extend((0..sent).map(|n| format!("m:j{i}:{n}")));
        total_sent += sent;
        total_reconnects += reconnects;
        json.push(client);
    }

    // A fresh reader through nginx, then every typist, then Postgres.
    let reader = YjsClient::connect(&nginx.ws(&format!("/yjs/{room}"))).await;
    let complete = reader
        .wait(Duration::from_secs(15), |c| markers(&c.text()) == expected)
        .await;
    let found = markers(&reader.text());
    let missing: Vec<_> = expected.difference(&found).take(10).collect();
    eprintln!(
        "rolling restart: {} instances restarted; edits sent {total_sent}, found {} of {}; reconnects {total_reconnects}",
        restarts.load(Ordering::Relaxed),
        expected.intersection(&found).count(),
        expected.len()
    );
    let mut by_client = std::collections::BTreeMap::new();
    for m in expected.difference(&found) {
        *by_client
            .entry(m.split(':').nth(1).unwrap_or("").to_owned())
            .or_insert(0) += 1;
    }
    assert!(
        complete,
        "missing after the rolling restart: {by_client:?}, e.g. {missing:?}"
    );
    assert!(
        total_reconnects >= 3,
        "clients did reconnect ({total_reconnects})"
    );
    let want = reader.text();
    for client in &yjs {
        if client.closed().is_none() {
            assert!(
                client.wait_text(WAIT, |t| t == want).await,
                "a yjs typist diverged"
            );
        }
    }
    for client in &mut json {
        if client.closed.is_none() {
            assert!(
                client.wait_text(WAIT, |t| t == want).await,
                "a json typist diverged"
            );
        }
    }
    let stored = eventually(WAIT, || async {
        markers(&cluster.servers[1].stored_code(&room).await) == expected
    })
    .await;
    assert!(stored, "the room's stored text holds every edit");
}
