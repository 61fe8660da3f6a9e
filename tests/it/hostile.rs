//! Hostile clients with raw sockets: each probe is bounded in the server's
//! peak memory (VmHWM from /proc, which RLIMIT_AS would hide), gets its
//! close code, and leaves a bystander in another room served within 1 s.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use yrs::sync::{AwarenessUpdate, Message as YMessage};
use yrs::updates::encoder::Encode;

use crate::support::server::Backing;
use crate::support::{JsonClient, Server, YjsClient};

const WAIT: Duration = Duration::from_secs(5);
const MIB: u64 = 1024;

/// Peak resident memory of a process, in KiB.
fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

type Raw =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn raw(url: &str) -> Raw {
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// Reads until the server closes; its close code.
async fn close_code(ws: &mut Raw) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| f.code.into()),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

/// Two clients of another room: how long an edit takes to get across.
struct Bystander {
    a: JsonClient,
    b: JsonClient,
    edits: u32,
}

impl Bystander {
    async fn join(server: &Server) -> Self {
        let room = server.create_room().await;
        let url = server.ws(&format!("/ws/{room}"));
        Self {
            a: JsonClient::connect(&url).await,
            b: JsonClient::connect(&url).await,
            edits: 0,
        }
    }

    /// Asserts an edit is relayed within a second.
    async fn served_within_a_second(&mut self) -> Duration {
        self.edits += 1;
        let text = format!("{}edit {}\n", self.a.text, self.edits);
        let start = Instant::now();
        self.a.send_code(&text).await;
        assert!(
            self.b
                .wait_text(Duration::from_secs(1), |t| t == text)
                .await,
            "the bystander's edit took over a second"
        );
        start.elapsed()
    }
}

async fn server(extra: &[(&str, &str)]) -> Server {
    Server::start_with(&Backing::embedded(), extra).await
}

#[tokio::test]
async fn a_state_vector_that_claims_2_pow_28_entries_costs_nothing() {
    let server = server(&[]).await;
    let mut bystander = Bystander::join(&server).await;
    let room = server.create_room().await;
    let before = vm_hwm_kib(server.pid());
    for _ in 0..20 {
        let mut ws = raw(&server.ws(&format!("/yjs/{room}"))).await;
        let probe = vec![0x03, 0x00, 0x00, 0x05, 0x80, 0x80, 0x80, 0x80, 0x01];
        ws.send(Message::Binary(probe.into())).await.unwrap();
        assert_eq!(close_code(&mut ws).await, Some(4400));
    }
    let latency = bystander.served_within_a_second().await;
    let grown = vm_hwm_kib(server.pid()) - before;
    println!("state-vector bomb: VmHWM +{grown} KiB, bystander {latency:?}");
    assert!(grown < 16 * MIB, "peak memory grew {grown} KiB");
}

#[tokio::test]
async fn a_frame_of_100000_awareness_queries_is_refused_whole() {
    let server = server(&[]).await;
    let mut bystander = Bystander::join(&server).await;
    let room = server.create_room().await;
    let before = vm_hwm_kib(server.pid());
    let mut ws = raw(&server.ws(&format!("/yjs/{room}"))).await;
    ws.send(Message::Binary(vec![0x03; 100_000].into()))
        .await
        .unwrap();
    assert_eq!(close_code(&mut ws).await, Some(4429));
    // 200,000 sync step 1s with empty state vectors: each would encode the whole document.
    let mut ws = raw(&server.ws(&format!("/yjs/{room}"))).await;
    let steps: Vec<u8> = [0u8, 0, 1, 0].repeat(200_000);
    ws.send(Message::Binary(steps.into())).await.unwrap();
    assert_eq!(close_code(&mut ws).await, Some(4429));
    let latency = bystander.served_within_a_second().await;
    let grown = vm_hwm_kib(server.pid()) - before;
    println!("message floods: VmHWM +{grown} KiB, bystander {latency:?}");
    assert!(grown < 16 * MIB, "peak memory grew {grown} KiB");
}

#[tokio::test]
async fn sync_requests_pings_and_bytes_are_rate_limited() {
    let server = server(&[
        ("PAIRPROG__LIMITS__SYNC_REQUESTS_PER_MIN", "5"),
        ("PAIRPROG__LIMITS__BYTES_PER_SEC", "65536"),
        ("PAIRPROG__LIMITS__BYTE_BURST", "1048576"),
    ])
    .await;
    let mut bystander = Bystander::join(&server).await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/yjs/{room}"));
    // Sync step 1 answers, one message per frame.
    let mut ws = raw(&url).await;
    for _ in 0..10 {
        let _ = ws.send(Message::Binary(vec![0, 0, 1, 0].into())).await;
    }
    assert_eq!(close_code(&mut ws).await, Some(4429));
    // Pings count like messages.
    let mut ws = raw(&url).await;
    for _ in 0..400 {
        if ws.send(Message::Ping(vec![1; 8].into())).await.is_err() {
            break;
        }
    }
    assert_eq!(close_code(&mut ws).await, Some(4429));
    // Bytes count, not only messages: three valid 900 kB messages.
    let mut ws = raw(&server.ws(&format!("/ws/{room}"))).await;
    let padded = format!(
        "{{\"type\":\"cursor\",\"cursorPosition\":1{}}}",
        " ".repeat(900_000)
    );
    for _ in 0..3 {
        let _ = ws.send(Message::Text(padded.clone().into())).await;
    }
    assert_eq!(close_code(&mut ws).await, Some(4429));
    bystander.served_within_a_second().await;
}

#[tokio::test]
async fn two_unlike_60_kb_texts_merge_without_stalling_other_rooms() {
    let server = server(&[]).await;
    let mut bystander = Bystander::join(&server).await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/ws/{room}"));
    let mut writer = JsonClient::connect(&url).await;
    let mut reader = JsonClient::connect(&url).await;
    writer.send_code(&"a".repeat(60_000)).await;
    assert!(reader.wait_text(WAIT, |t| t == "a".repeat(60_000)).await);
    writer.send_code(&"b".repeat(60_000)).await;
    let latency = bystander.served_within_a_second().await;
    assert!(reader.wait_text(WAIT, |t| t == "b".repeat(60_000)).await);
    println!("60 kB a -> b merge: bystander {latency:?}");
    assert_eq!(writer.closed, None);
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_and_its_queue_freed() {
    let server = server(&[
        ("PAIRPROG__LIMITS__WRITE_TIMEOUT_SECS", "2"),
        ("PAIRPROG__LIMITS__MSGS_PER_SEC", "1000"),
        ("PAIRPROG__LIMITS__MSG_BURST", "1000"),
        ("PAIRPROG__LIMITS__BYTES_PER_SEC", "104857600"),
        ("PAIRPROG__LIMITS__BYTE_BURST", "104857600"),
    ])
    .await;
    let mut bystander = Bystander::join(&server).await;
    let room = server.create_room().await;
    let writer = YjsClient::connect(&server.ws(&format!("/yjs/{room}"))).await;
    writer.append(&"x".repeat(600_000));
    // Joins, reads its `init`, then never reads again.
    let mut deaf = raw(&server.ws(&format!("/ws/{room}"))).await;
    let _init = deaf.next().await;
    let before = vm_hwm_kib(server.pid());
    // Each edit sends the deaf client the whole 600 kB text: 200 of them
    // would be 120 MB if its queue were bounded in frames.
    for i in 0..200 {
        writer.append(&format!("{}", i % 10));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let dropped = crate::support::eventually(Duration::from_secs(10), || async {
        server.get_room(&room).await["connectionCount"] == 1
    })
    .await;
    assert!(dropped, "the deaf client is disconnected");
    let latency = bystander.served_within_a_second().await;
    let grown = vm_hwm_kib(server.pid()) - before;
    println!("deaf client: VmHWM +{grown} KiB, bystander {latency:?}");
    assert!(grown < 64 * MIB, "peak memory grew {grown} KiB");
    let metrics = reqwest::get(server.http("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("pairprog_slow_consumers_total ") && !l.ends_with(" 0")),
        "counted as a slow consumer"
    );
}

fn awareness_frame(client: u64, clock: u32, json: &str) -> Message {
    let mut clients = std::collections::HashMap::new();
    clients.insert(
        yrs::ClientID::new(client),
        yrs::sync::awareness::AwarenessUpdateEntry {
            clock,
            json: json.into(),
        },
    );
    let frame = YMessage::Awareness(AwarenessUpdate { clients }).encode_v1();
    Message::Binary(frame.into())
}

#[tokio::test]
async fn nobody_can_overwrite_or_delete_another_connections_cursor() {
    let server = server(&[]).await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/yjs/{room}"));
    let a = YjsClient::connect(&url).await;
    let watcher = YjsClient::connect(&url).await;
    a.set_awareness(r#"{"user":{"name":"A"}}"#);
    let id = a.client_id();
    assert!(
        watcher
            .wait(WAIT, |w| w.peers().iter().any(|(i, _)| *i == id))
            .await
    );

    let b = YjsClient::connect(&url).await;
    b.send_raw(awareness_frame(id, 100, r#"{"user":{"name":"mallory"}}"#));
    b.send_raw(awareness_frame(id, 200, "null"));
    // B's own state is relayed; A's stays A's.
    b.set_awareness(r#"{"user":{"name":"B"}}"#);
    let b_id = b.client_id();
    assert!(
        watcher
            .wait(WAIT, |w| w.peers().iter().any(|(i, _)| *i == b_id))
            .await
    );
    let peers = watcher.peers();
    let a_state = peers
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, s)| s.as_str());
    assert_eq!(a_state, Some(r#"{"user":{"name":"A"}}"#));
    // When B leaves, A's cursor stays; when A leaves, it goes.
    b.close();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(watcher.peers().iter().any(|(i, _)| *i == id));
    a.close();
    assert!(
        watcher
            .wait(WAIT, |w| w.peers().iter().all(|(i, _)| *i != id))
            .await
    );

    // One connection may introduce a bounded number of ids.
    let mut many = raw(&url).await;
    for n in 0..10u64 {
        let _ = many.send(awareness_frame(1_000 + n, 1, "{}")).await;
    }
    assert_eq!(close_code(&mut many).await, Some(4400));
}

#[tokio::test]
async fn updates_to_other_roots_are_refused_and_leave_the_document_alone() {
    let server = server(&[]).await;
    let room = server.create_room().await;
    let url = server.ws(&format!("/yjs/{room}"));
    let before = server.stored_code(&room).await;
    let doc = pairprog::doc::new_doc();
    let other = doc.get_or_insert_text("not-code");
    let update = {
        use yrs::{Text, Transact};
        let mut txn = doc.transact_mut();
        other.insert(&mut txn, 0, &"z".repeat(1000));
        txn.encode_update_v1()
    };
    let client = YjsClient::connect(&url).await;
    client.send_update(update);
    assert!(client.wait(WAIT, |c| c.closed().is_some()).await);
    assert_eq!(client.closed(), Some(4400));
    let fresh = YjsClient::connect(&url).await;
    assert_eq!(fresh.text(), before);
}
