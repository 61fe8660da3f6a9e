//! Against a real Redis named by `PAIRPROG_TEST_REDIS_URL`; each test uses
//! its own key prefix. Some tests cut every pub/sub connection on that
//! Redis (`CLIENT KILL TYPE pubsub`), so every test asserts only its own
//! data and tolerates reconnects (and the odd `Resync`) caused by others.

use std::time::Duration;

use tokio::sync::RwLock;
use tokio::time::timeout;

use super::*;

/// Tests that cut every pub/sub connection take this for writing, the
/// others (whose unsequenced messages a cut would lose) for reading.
static PUBSUB_CUTS: RwLock<()> = RwLock::const_new(());

fn redis_url() -> String {
    std::env::var("PAIRPROG_TEST_REDIS_URL")
        .expect("PAIRPROG_TEST_REDIS_URL must name a Redis (eval \"$(scripts/services.sh env)\")")
}

fn prefix() -> String {
    format!("pp-test-{}", uuid::Uuid::new_v4().simple())
}

async fn bus_with(
    prefix: &str,
    instance: &str,
    ttl: Duration,
    heartbeat: Duration,
) -> Arc<RedisBus> {
    RedisBus::connect(
        &redis_url(),
        4,
        prefix.to_owned(),
        1000,
        ttl,
        heartbeat,
        instance.to_owned(),
    )
    .await
    .expect("connect to the test redis")
}

async fn bus(prefix: &str, instance: &str) -> Arc<RedisBus> {
    bus_with(
        prefix,
        instance,
        Duration::from_secs(30),
        Duration::from_secs(10),
    )
    .await
}

async fn plain() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// The next event that is not a `Resync` (which another test's
/// `CLIENT KILL` may cause), or `None` after `wait`.
async fn next_event(sub: &mut Subscription, wait: Duration) -> Option<BusEvent> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, sub.events.recv()).await {
            Ok(Some(BusEvent::Resync)) => continue,
            Ok(event) => return event,
            Err(_) => return None,
        }
    }
}

/// Collects the payloads of `n` update events (failing after 10 s).
async fn updates(sub: &mut Subscription, n: usize) -> Vec<Bytes> {
    let mut got = Vec::new();
    while got.len() < n {
        match next_event(sub, Duration::from_secs(10)).await {
            Some(BusEvent::Update(b)) => got.push(b),
            Some(_) => {}
            None => panic!("only {} of {n} updates arrived: {got:?}", got.len()),
        }
    }
    got
}

fn payloads(range: std::ops::Range<u32>) -> Vec<Bytes> {
    range.map(|i| Bytes::from(format!("update-{i}"))).collect()
}

async fn seq_of(prefix: &str, room: &RoomId) -> u64 {
    let mut conn = plain().await;
    redis::cmd("GET")
        .arg(format!("{prefix}:seq:{room}"))
        .query_async::<Option<u64>>(&mut conn)
        .await
        .unwrap()
        .unwrap_or(0)
}

async fn wait_for_seq(prefix: &str, room: &RoomId, seq: u64) {
    timeout(Duration::from_secs(10), async {
        while seq_of(prefix, room).await < seq {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the updates were published");
}

/// Sequences an update into the stream but publishes it on a channel
/// nobody listens to: exactly what a dropped pub/sub message looks like.
async fn lose_update(bus: &RedisBus, room: &RoomId, payload: &[u8]) {
    let inner = &bus.inner;
    let mut conn = inner.conn().await.unwrap();
    inner
        .publish_script
        .key(inner.keys.seq(room))
        .key(inner.keys.stream(room))
        .key("pp-test-void")
        .arg(header(KIND_UPDATE, &inner.instance_id))
        .arg(payload)
        .arg(inner.stream_max_len)
        .arg(&inner.instance_id)
        .arg(KEY_TTL_SECS)
        .invoke_async::<u64>(&mut conn)
        .await
        .unwrap();
}

async fn kill_pubsub_clients() {
    let mut conn = plain().await;
    redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async::<i64>(&mut conn)
        .await
        .unwrap();
}

#[test]
fn wire_format_round_trips() {
    let bytes = encode(KIND_UPDATE, "inst-1", 0x0102_0304_0506_0708, b"\x00payload");
    let wire = decode(&bytes).unwrap();
    assert_eq!(
        wire,
        Wire {
            kind: b'U',
            instance: b"inst-1",
            seq: 0x0102_0304_0506_0708,
            payload: b"\x00payload",
        }
    );
    assert!(decode(b"U\x05abc").is_none());
    assert!(decode(b"").is_none());
}

#[tokio::test]
async fn an_update_from_a_reaches_b_once_and_not_a() {
    let _cuts = PUBSUB_CUTS.read().await;
    let prefix = prefix();
    let (a, b) = (bus(&prefix, "a").await, bus(&prefix, "b").await);
    let room = RoomId::generate();
    let mut sub_a = a.subscribe(&room).await.unwrap();
    let mut sub_b = b.subscribe(&room).await.unwrap();
    let sent = payloads(0..20);
    for p in &sent {
        a.publish(&room, Outgoing::Update(p.clone()));
    }
    assert_eq!(updates(&mut sub_b, sent.len()).await, sent);
    // Nothing more: no duplicates at B, nothing echoed to A.
    assert!(
        next_event(&mut sub_b, Duration::from_millis(300))
            .await
            .is_none()
    );
    assert!(
        next_event(&mut sub_a, Duration::from_millis(10))
            .await
            .is_none()
    );
    // The sequence (and the stream) hold all of them.
    assert_eq!(seq_of(&prefix, &room).await, 20);
    a.ping().await.unwrap();
}

#[tokio::test]
async fn awareness_cursor_and_presence_events_are_relayed() {
    let _cuts = PUBSUB_CUTS.read().await;
    let prefix = prefix();
    let (a, b) = (bus(&prefix, "a").await, bus(&prefix, "b").await);
    let room = RoomId::generate();
    let mut sub_b = b.subscribe(&room).await.unwrap();
    a.publish(&room, Outgoing::Awareness(Bytes::from_static(b"aw")));
    a.publish(
        &room,
        Outgoing::Cursor(Bytes::from_static(b"{\"cursor\":1}")),
    );
    a.publish(&room, Outgoing::Presence { joined: true });
    a.publish(&room, Outgoing::Presence { joined: false });
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(
            next_event(&mut sub_b, Duration::from_secs(5))
                .await
                .expect("event"),
        );
    }
    let described: Vec<String> = got.iter().map(|e| format!("{e:?}")).collect();
    assert!(
        matches!(&got[0], BusEvent::Awareness(b) if b.as_ref() == b"aw"),
        "{described:?}"
    );
    assert!(matches!(&got[1], BusEvent::Cursor(b) if b.as_ref() == b"{\"cursor\":1}"));
    assert!(matches!(got[2], BusEvent::Presence { joined: true }));
    assert!(matches!(got[3], BusEvent::Presence { joined: false }));
}

#[tokio::test]
async fn presence_sums_instances_and_forgets_expired_ones() {
    let _cuts = PUBSUB_CUTS.read().await;
    let prefix = prefix();
    let ttl = Duration::from_secs(2);
    let beat = Duration::from_millis(400);
    let a = bus_with(&prefix, "a", ttl, beat).await;
    let b = bus_with(&prefix, "b", ttl, beat).await;
    let room = RoomId::generate();
    assert_eq!(a.presence(&room).await.unwrap(), 0);
    assert_eq!(a.set_presence(&room, 2).await.unwrap(), 2);
    assert_eq!(b.set_presence(&room, 3).await.unwrap(), 5);
    // The heartbeat keeps both alive past the ttl.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(b.presence(&room).await.unwrap(), 5);
    assert_eq!(b.set_presence(&room, 1).await.unwrap(), 3);
    // A dies without cleaning up: its entry expires.
    drop(a);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(b.presence(&room).await.unwrap(), 1);
    assert_eq!(b.set_presence(&room, 0).await.unwrap(), 0);
}

#[tokio::test]
async fn a_lost_message_is_repaired_from_the_stream() {
    let _cuts = PUBSUB_CUTS.read().await;
    let prefix = prefix();
    let (a, b) = (bus(&prefix, "a").await, bus(&prefix, "b").await);
    let room = RoomId::generate();
    let mut sub_b = b.subscribe(&room).await.unwrap();
    a.publish(&room, Outgoing::Update(Bytes::from_static(b"one")));
    assert_eq!(updates(&mut sub_b, 1).await, [Bytes::from_static(b"one")]);
    lose_update(&a, &room, b"two").await;
    lose_update(&a, &room, b"three").await;
    a.publish(&room, Outgoing::Update(Bytes::from_static(b"four")));
    let got = updates(&mut sub_b, 3).await;
    assert_eq!(got, [&b"two"[..], b"three", b"four"]);
    assert!(b.gaps_repaired() >= 1);
    assert!(
        next_event(&mut sub_b, Duration::from_millis(200))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn updates_sent_while_pubsub_is_cut_arrive_after_reconnect() {
    let _cuts = PUBSUB_CUTS.write().await;
    let prefix = prefix();
    let (a, b) = (bus(&prefix, "a").await, bus(&prefix, "b").await);
    let room = RoomId::generate();
    let mut sub_b = b.subscribe(&room).await.unwrap();
    let sent = payloads(0..30);
    for p in &sent[..10] {
        a.publish(&room, Outgoing::Update(p.clone()));
    }
    assert_eq!(updates(&mut sub_b, 10).await, sent[..10]);
    kill_pubsub_clients().await;
    for p in &sent[10..] {
        a.publish(&room, Outgoing::Update(p.clone()));
    }
    wait_for_seq(&prefix, &room, 30).await;
    // Whether they arrive live or replayed, each arrives once, in order.
    assert_eq!(updates(&mut sub_b, 20).await, sent[10..]);
    assert!(
        next_event(&mut sub_b, Duration::from_millis(300))
            .await
            .is_none()
    );
    // And live traffic flows again.
    a.publish(&room, Outgoing::Cursor(Bytes::from_static(b"c")));
    let event = next_event(&mut sub_b, Duration::from_secs(10)).await;
    assert!(matches!(event, Some(BusEvent::Cursor(_))), "{event:?}");
}

#[tokio::test]
async fn a_trimmed_stream_yields_resync() {
    let _cuts = PUBSUB_CUTS.read().await;
    let prefix = prefix();
    let (a, b) = (bus(&prefix, "a").await, bus(&prefix, "b").await);
    let room = RoomId::generate();
    let mut sub_b = b.subscribe(&room).await.unwrap();
    lose_update(&a, &room, b"lost-1").await;
    lose_update(&a, &room, b"lost-2").await;
    let mut conn = plain().await;
    redis::cmd("XTRIM")
        .arg(format!("{prefix}:stream:{room}"))
        .arg("MAXLEN")
        .arg(0)
        .query_async::<i64>(&mut conn)
        .await
        .unwrap();
    a.publish(&room, Outgoing::Update(Bytes::from_static(b"after")));
    let first = timeout(Duration::from_secs(10), sub_b.events.recv())
        .await
        .unwrap();
    assert!(matches!(first, Some(BusEvent::Resync)), "{first:?}");
    assert_eq!(updates(&mut sub_b, 1).await, [Bytes::from_static(b"after")]);
    assert!(b.resyncs() >= 1);
}

#[tokio::test]
async fn redis_losing_its_data_yields_resync_after_reconnect() {
    let _cuts = PUBSUB_CUTS.write().await;
    let prefix = prefix();
    let (a, b) = (bus(&prefix, "a").await, bus(&prefix, "b").await);
    let room = RoomId::generate();
    let mut sub_b = b.subscribe(&room).await.unwrap();
    for p in payloads(0..3) {
        a.publish(&room, Outgoing::Update(p));
    }
    updates(&mut sub_b, 3).await;
    // As after a restart without persistence: the sequence is gone.
    kill_pubsub_clients().await;
    let mut conn = plain().await;
    redis::cmd("DEL")
        .arg(format!("{prefix}:seq:{room}"))
        .arg(format!("{prefix}:stream:{room}"))
        .query_async::<i64>(&mut conn)
        .await
        .unwrap();
    let event = timeout(Duration::from_secs(10), sub_b.events.recv())
        .await
        .unwrap();
    assert!(matches!(event, Some(BusEvent::Resync)), "{event:?}");
    // The sequence restarts at 1 and flows again.
    a.publish(&room, Outgoing::Update(Bytes::from_static(b"fresh")));
    assert_eq!(updates(&mut sub_b, 1).await, [Bytes::from_static(b"fresh")]);
}

#[tokio::test]
async fn dropping_the_subscription_unsubscribes() {
    let _cuts = PUBSUB_CUTS.read().await;
    let prefix = prefix();
    let b = bus(&prefix, "b").await;
    let room = RoomId::generate();
    let channel = format!("{prefix}:room:{room}");
    let numsub = || async {
        let mut conn = plain().await;
        let (_, n): (String, i64) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(&channel)
            .query_async(&mut conn)
            .await
            .unwrap();
        n
    };
    let sub = b.subscribe(&room).await.unwrap();
    assert_eq!(numsub().await, 1, "subscribed before subscribe() returns");
    drop(sub);
    timeout(Duration::from_secs(5), async {
        while numsub().await != 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("unsubscribed");
    b.shutdown(Duration::from_secs(1)).await;
    assert!(b.subscribe(&room).await.is_err());
}
