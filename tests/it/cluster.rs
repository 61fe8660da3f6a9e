//! Scaled out: several instances on one Postgres and one Redis, clients of
//! one room spread over them through both protocols.

use std::collections::BTreeSet;
use std::time::Duration;

use rand::Rng;
use serde_json::Value;

use crate::support::nginx::Nginx;
use crate::support::server::Backing;
use crate::support::{Cluster, JsonClient, PUBSUB_CUTS, Server, YjsClient, eventually};

const WAIT: Duration = Duration::from_secs(10);

/// The room's text as Postgres holds it: snapshot plus log, merged.
async fn postgres_text(backing: &Backing, room: &str) -> String {
    crate::support::access::postgres_texts(backing, room)
        .await
        .0
}

fn markers(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with("m:c"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn every_edit_reaches_every_client_across_three_instances() {
    let _shared = PUBSUB_CUTS.read().await;
    let cluster = Cluster::start(3).await;
    let [s0, s1, s2] = &cluster.servers[..] else {
        unreachable!()
    };
    let room = s0.create_room().await;
    let y0 = YjsClient::connect(&s0.ws(&format!("/yjs/{room}"))).await;
    let y2 = YjsClient::connect(&s2.ws(&format!("/yjs/{room}"))).await;
    let mut j1 = JsonClient::connect(&s1.ws(&format!("/ws/{room}"))).await;
    let mut j2 = JsonClient::connect(&s2.ws(&format!("/ws/{room}"))).await;

    y0.append("m:y0\n");
    assert!(j1.wait_text(WAIT, |t| t.contains("m:y0\n")).await);
    let text = format!("{}m:j1\n", j1.text);
    j1.send_code(&text).await;
    assert!(y2.wait_text(WAIT, |t| t.contains("m:j1\n")).await);
    y2.append("m:y2\n");
    assert!(j2.wait_text(WAIT, |t| t.contains("m:y2\n")).await);
    let text = format!("{}m:j2\n", j2.text);
    j2.send_code(&text).await;

    let all = |t: &str| {
        ["m:y0", "m:j1", "m:y2", "m:j2"]
            .iter()
            .all(|m| t.contains(m))
    };
    assert!(y0.wait_text(WAIT, all).await, "y0: {:?}", y0.text());
    assert!(y2.wait_text(WAIT, all).await, "y2: {:?}", y2.text());
    assert!(j1.wait_text(WAIT, all).await, "j1: {:?}", j1.text);
    let expected = y0.text();
    for server in &cluster.servers {
        assert_eq!(server.stored_code(&room).await, expected);
    }
}

/// One simulated person typing: random small inserts and deletes.
async fn type_randomly_yjs(client: YjsClient, until: tokio::time::Instant) -> YjsClient {
    while tokio::time::Instant::now() < until {
        let (op, pos, ch) = {
            let mut rng = rand::rng();
            let len = client.len();
            (
                rng.random_range(0..10),
                rng.random_range(0..=len),
                rng.random_range(b'a'..=b'z') as char,
            )
        };
        if op < 7 || client.len() < 10 {
            client.insert(pos, &format!("{ch}é"));
        } else {
            client.delete_char(pos as usize);
        }
        let pause = rand::rng().random_range(20..80);
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
    client
}

async fn type_randomly_json(mut client: JsonClient, until: tokio::time::Instant) -> JsonClient {
    while tokio::time::Instant::now() < until {
        let mut chars: Vec<char> = client.text.chars().collect();
        {
            let mut rng = rand::rng();
            let pos = rng.random_range(0..=chars.len());
            if rng.random_range(0..10) < 7 || chars.len() < 10 {
                chars.insert(pos, rng.random_range(b'A'..=b'Z') as char);
                chars.insert(pos, '🙂');
            } else {
                let end = (pos + 2).min(chars.len());
                chars.drain(pos..end);
            }
        }
        let text: String = chars.into_iter().collect();
        client.send_code(&text).await;
        let pause = Duration::from_millis(rand::rng().random_range(20..80u64));
        // Hear the others while pausing, as a real client would.
        let deadline = tokio::time::Instant::now() + pause;
        while client
            .next(deadline.saturating_duration_since(tokio::time::Instant::now()))
            .await
            .is_some()
        {}
    }
    client
}

#[tokio::test]
async fn random_concurrent_editing_converges_and_equals_postgres() {
    let _shared = PUBSUB_CUTS.read().await;
    let cluster = Cluster::start(3).await;
    let room = cluster.servers[0].create_room().await;
    let until = tokio::time::Instant::now() + Duration::from_secs(4);
    let mut yjs_tasks = Vec::new();
    let mut json_tasks = Vec::new();
    for (i, server) in cluster.servers.iter().enumerate() {
        let y = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
        yjs_tasks.push(tokio::spawn(type_randomly_yjs(y, until)));
        let other = &cluster.servers[(i + 1) % 3];
        let j = JsonClient::connect(&other.ws(&format!("/ws/{room}"))).await;
        json_tasks.push(tokio::spawn(type_randomly_json(j, until)));
    }
    let mut yjs = Vec::new();
    for task in yjs_tasks {
        yjs.push(task.await.unwrap());
    }
    let mut json = Vec::new();
    for task in json_tasks {
        json.push(task.await.unwrap());
    }
    // Quiet: let everything land, then compare.
    let reference = YjsClient::connect(&cluster.servers[0].ws(&format!("/yjs/{room}"))).await;
    let converged = eventually(WAIT, || async {
        let want = reference.text();
        yjs.iter().all(|c| c.text() == want)
    })
    .await;
    let texts: Vec<(Option<u16>, String)> = yjs.iter().map(|c| (c.closed(), c.text())).collect();
    if !converged {
        for server in &cluster.servers {
            eprintln!(
                "server {} live: {:?}",
                server.port,
                server.stored_code(&room).await
            );
        }
    }
    assert!(
        converged,
        "yjs clients diverged:\nreference {:?}\nclients {texts:#?}",
        reference.text()
    );
    let want = reference.text();
    for client in &mut json {
        assert!(
            client.wait_text(WAIT, |t| t == want).await,
            "json client diverged"
        );
    }
    assert!(want.chars().count() > 50, "the clients did type: {want:?}");
    for server in &cluster.servers {
        assert_eq!(server.stored_code(&room).await, want);
    }
    let stored = eventually(WAIT, || async {
        postgres_text(&cluster.backing, &room).await == want
    })
    .await;
    assert!(stored, "Postgres holds the converged text");
}

#[tokio::test]
async fn a_room_reopened_elsewhere_has_identical_content_with_or_without_the_cache() {
    let _shared = PUBSUB_CUTS.read().await;
    let cluster = Cluster::start(3).await;
    let [a, b, c] = &cluster.servers[..] else {
        unreachable!()
    };
    let room = a.create_room().await;
    let writer = YjsClient::connect(&a.ws(&format!("/yjs/{room}"))).await;
    for i in 0..20 {
        writer.append(&format!("m:{i} ü🙂\n"));
    }
    let expected = writer.text();
    writer.close();
    // Everyone left A; the room unloads there after persisting.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let reader = YjsClient::connect(&c.ws(&format!("/yjs/{room}"))).await;
    assert!(
        reader.wait_text(WAIT, |t| t == expected).await,
        "from cache"
    );
    reader.close();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Flush this test's Redis keys: Postgres alone must have it all.
    let mut redis = cluster.backing.redis().await;
    let prefix = cluster.backing.prefix.clone().unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut redis)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(&keys)
            .query_async(&mut redis)
            .await
            .unwrap();
    }
    let reader = YjsClient::connect(&b.ws(&format!("/yjs/{room}"))).await;
    assert!(
        reader.wait_text(WAIT, |t| t == expected).await,
        "from Postgres"
    );
    assert_eq!(postgres_text(&cluster.backing, &room).await, expected);
}

async fn count(server: &Server, room: &str) -> i64 {
    server.get_room(room).await["connectionCount"]
        .as_i64()
        .unwrap_or(-1)
}

#[tokio::test]
async fn presence_counts_every_instance_and_heals_after_sigkill() {
    let _shared = PUBSUB_CUTS.read().await;
    let backing = Backing::distributed()
        .await
        .with("PAIRPROG__PRESENCE__TTL_SECS", "3")
        .with("PAIRPROG__PRESENCE__HEARTBEAT_SECS", "1");
    let mut cluster = Cluster::start_on(backing, 3).await;
    let room = cluster.servers[0].create_room().await;
    let mut a = JsonClient::connect(&cluster.servers[0].ws(&format!("/ws/{room}"))).await;
    let b = JsonClient::connect(&cluster.servers[1].ws(&format!("/ws/{room}"))).await;
    assert_eq!(b.init["connectionCount"], 2);
    let joined: Value = a.next_of("user_joined", WAIT).await.expect("user_joined");
    assert_eq!(joined["connectionCount"], 2);
    let _c = YjsClient::connect(&cluster.servers[2].ws(&format!("/yjs/{room}"))).await;
    let joined = a.next_of("user_joined", WAIT).await.expect("user_joined");
    assert_eq!(joined["connectionCount"], 3);
    for server in &cluster.servers {
        assert_eq!(count(server, &room).await, 3);
    }

    cluster.servers[2].kill().await;
    let healed = eventually(Duration::from_secs(10), || async {
        count(&cluster.servers[0], &room).await == 2
    })
    .await;
    assert!(
        healed,
        "the dead instance's connection drops out of the count"
    );

    drop(b);
    let left = a.next_of("user_left", WAIT).await.expect("user_left");
    assert_eq!(left["connectionCount"], 1);
}

/// Appends `n` marker lines, one every `every`.
async fn append_markers(client: YjsClient, name: String, n: usize, every: Duration) -> YjsClient {
    for i in 0..n {
        client.append(&format!("m:{name}:{i}\n"));
        tokio::time::sleep(every).await;
    }
    client
}

async fn kill_pubsub_clients(backing: &Backing) {
    let mut redis = backing.redis().await;
    let _: redis::RedisResult<i64> = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut redis)
        .await;
}

async fn markers_survive_pubsub_cuts(cluster: &Cluster, urls: Vec<String>) {
    let n = 40;
    let mut tasks = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let client = YjsClient::connect(url).await;
        tasks.push(tokio::spawn(append_markers(
            client,
            format!("c{i}"),
            n,
            Duration::from_millis(50),
        )));
    }
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        kill_pubsub_clients(&cluster.backing).await;
    }
    let mut clients = Vec::new();
    for task in tasks {
        clients.push(task.await.unwrap());
    }
    let expected: BTreeSet<String> = (0..urls.len())
        .flat_map(|c| (0..n).map(move |i| format!("m:c{c}:{i}")))
        .collect();
    for (i, client) in clients.iter().enumerate() {
        let all = client
            .wait(Duration::from_secs(15), |c| markers(&c.text()) == expected)
            .await;
        let have = markers(&client.text());
        let missing: Vec<_> = expected.difference(&have).take(5).collect();
        let count = expected.difference(&have).count();
        assert!(
            all,
            "client {i} is missing {count} markers, e.g. {missing:?}"
        );
    }
}

#[tokio::test]
async fn cut_subscriptions_are_repaired_and_nothing_is_missing() {
    // Cutting every pub/sub connection of the shared Redis would also cut
    // the other tests' instances: run alone.
    let _alone = PUBSUB_CUTS.write().await;
    let cluster = Cluster::start(3).await;
    let room = cluster.servers[0].create_room().await;
    let urls = (0..6)
        .map(|i| cluster.servers[i % 3].ws(&format!("/yjs/{room}")))
        .collect();
    markers_survive_pubsub_cuts(&cluster, urls).await;
}

#[tokio::test]
async fn through_nginx_every_edit_reaches_everyone_even_with_cut_subscriptions() {
    // Cutting every pub/sub connection of the shared Redis would also cut
    // the other tests' instances: run alone.
    let _alone = PUBSUB_CUTS.write().await;
    let cluster = Cluster::start(3).await;
    let ports: Vec<u16> = cluster.servers.iter().map(|s| s.port).collect();
    let nginx = Nginx::start(&ports).await;
    let created: Value = reqwest::Client::new()
        .post(nginx.http("/api/rooms"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let room = created["roomId"].as_str().unwrap().to_owned();

    // JSON clients through nginx see each other too.
    let mut j1 = JsonClient::connect(&nginx.ws(&format!("/ws/{room}"))).await;
    let mut j2 = JsonClient::connect(&nginx.ws(&format!("/ws/{room}"))).await;
    let text = format!("{}m:json\n", j1.text);
    j1.send_code(&text).await;
    assert!(j2.wait_text(WAIT, |t| t.contains("m:json")).await);

    let urls = (0..6).map(|_| nginx.ws(&format!("/yjs/{room}"))).collect();
    markers_survive_pubsub_cuts(&cluster, urls).await;
    // Round robin spread the clients: every instance served some.
    for server in &cluster.servers {
        let metrics = reqwest::get(server.http("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains("pairprog_rooms_open"),
            "instance {} is up",
            server.port
        );
    }
    let via_nginx: Value = reqwest::get(nginx.http(&format!("/api/rooms/{room}")))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(via_nginx["code"].as_str().unwrap().contains("m:c5:39"));
}
