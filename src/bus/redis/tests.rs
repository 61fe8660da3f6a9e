//! Against a real Redis named by `PAIRPROG_TEST_REDIS_URL`; each test uses
//! its own key prefix. Some tests cut every pub/sub connection on that
//! Redis (`CLIENT KILL TYPE pubsub`), so every test asserts only its own
//! data and tolerates reconnects (and the odd `Resync`) caused by others.

use std::time::Duration;

use tokio::sync::RwLock;
use tokio::time::timeout;

use super::wire::{KIND_UPDATE, Wire, decode, encode, event, header, update_payload};
use super::*;
use crate::bus::BusEvent;
use bytes::Bytes;

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

fn options(prefix: &str, instance: &str) -> RedisOptions {
    RedisOptions {
        url: redis_url(),
        pool_size: 4,
        prefix: prefix.to_owned(),
        instance_id: instance.to_owned(),
        stream_max_bytes: 1 << 20,
        stream_page: 7,
        subscription_queue: 1000,
        subscription_queue_bytes: 1 << 20,
        publish_queue_bytes: 8 << 20,
        reconnect_max: Duration::from_millis(200),
        presence_ttl: Duration::from_secs(30),
        heartbeat: Duration::from_secs(10),
    }
}

async fn bus_with(
    prefix: &str,
    instance: &str,
    ttl: Duration,
    heartbeat: Duration,
) -> Arc<RedisBus> {
    RedisBus::connect(RedisOptions {
        presence_ttl: ttl,
        heartbeat,
        ..options(prefix, instance)
    })
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
        match tokio::time::timeout_at(deadline, sub.recv()).await {
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
            Some(BusEvent::Update { update, .. }) => got.push(update),
            Some(_) => {}
            None => panic!("only {} of {n} updates arrived: {got:?}", got.len()),
        }
    }
    got
}

fn up(update: Bytes) -> Outgoing {
    Outgoing::Update {
        update,
        author: None,
    }
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
        .key(inner.keys.stream_bytes(room))
        .key("pp-test-void")
        .arg(header(KIND_UPDATE, &inner.instance_id))
        .arg(payload)
        .arg(inner.options.stream_max_bytes)
        .arg(&inner.instance_id)
        .arg(KEY_TTL_SECS)
        .arg("")
        .arg("0")
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
        a.publish(&room, up(p.clone()));
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
    a.set_presence(&room, 2);
    a.publish(&room, Outgoing::Presence { joined: true });
    let mut got = Vec::new();
    for i in 0..4 {
        if i == 3 {
            // The count a presence message carries is the one recorded
            // when it goes out.
            a.set_presence(&room, 1);
            a.publish(&room, Outgoing::Presence { joined: false });
        }
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
    // Each carries the room's total as the publisher computed it.
    assert!(matches!(
        got[2],
        BusEvent::Presence {
            joined: true,
            total: 2
        }
    ));
    assert!(matches!(
        got[3],
        BusEvent::Presence {
            joined: false,
            total: 1
        }
    ));
}

async fn presence_becomes(bus: &RedisBus, room: &RoomId, n: usize, wait: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if bus.presence(room).await.ok() == Some(n) {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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
    let wait = Duration::from_secs(5);
    assert_eq!(a.presence(&room).await.unwrap(), 0);
    let mut sub_b = b.subscribe(&room).await.unwrap();
    // Recording never waits; the count reaches Redis with the message.
    assert_eq!(a.set_presence(&room, 2), 2);
    a.publish(&room, Outgoing::Presence { joined: true });
    let heard = next_event(&mut sub_b, wait).await;
    assert!(
        matches!(heard, Some(BusEvent::Presence { total: 2, .. })),
        "{heard:?}"
    );
    // B now knows A's two: its estimate counts them.
    assert_eq!(b.set_presence(&room, 3), 5);
    b.publish(&room, Outgoing::Presence { joined: true });
    assert!(presence_becomes(&a, &room, 5, wait).await);
    // The heartbeat keeps both alive past the ttl.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(b.presence(&room).await.unwrap(), 5);
    b.set_presence(&room, 1);
    b.publish(&room, Outgoing::Presence { joined: false });
    assert!(presence_becomes(&b, &room, 3, wait).await);
    // A dies without cleaning up: its entry expires.
    drop(a);
    assert!(presence_becomes(&b, &room, 1, wait).await);
    // Going to zero withdraws the entry at once, well before it expires.
    b.set_presence(&room, 0);
    assert!(presence_becomes(&b, &room, 0, Duration::from_millis(1000)).await);
}

#[tokio::test]
async fn a_lost_message_is_repaired_from_the_stream() {
    let _cuts = PUBSUB_CUTS.read().await;
    let prefix = prefix();
    let (a, b) = (bus(&prefix, "a").await, bus(&prefix, "b").await);
    let room = RoomId::generate();
    let mut sub_b = b.subscribe(&room).await.unwrap();
    a.publish(&room, up(Bytes::from_static(b"one")));
    assert_eq!(updates(&mut sub_b, 1).await, [Bytes::from_static(b"one")]);
    lose_update(&a, &room, b"two").await;
    lose_update(&a, &room, b"three").await;
    a.publish(&room, up(Bytes::from_static(b"four")));
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
        a.publish(&room, up(p.clone()));
    }
    assert_eq!(updates(&mut sub_b, 10).await, sent[..10]);
    kill_pubsub_clients().await;
    for p in &sent[10..] {
        a.publish(&room, up(p.clone()));
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
    a.publish(&room, up(Bytes::from_static(b"after")));
    let first = timeout(Duration::from_secs(10), sub_b.recv())
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
        a.publish(&room, up(p));
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
    let event = timeout(Duration::from_secs(10), sub_b.recv())
        .await
        .unwrap();
    assert!(matches!(event, Some(BusEvent::Resync)), "{event:?}");
    // The sequence restarts at 1 and flows again.
    a.publish(&room, up(Bytes::from_static(b"fresh")));
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

#[test]
fn updates_carry_their_author_on_the_wire() {
    let payload = update_payload(Some("alice"), b"\x01\x02");
    let bytes = encode(KIND_UPDATE, "inst", 7, &payload);
    let wire = decode(&bytes).unwrap();
    match event(wire.kind, wire.payload) {
        Some(BusEvent::Update { update, author }) => {
            assert_eq!(update.as_ref(), b"\x01\x02");
            assert_eq!(author.as_deref(), Some("alice"));
        }
        other => panic!("{other:?}"),
    }
    // None, too long or control characters: no author, update intact.
    let anonymous = update_payload(None, b"u");
    assert!(matches!(
        event(KIND_UPDATE, &anonymous),
        Some(BusEvent::Update { author: None, .. })
    ));
    let long = "é".repeat(100);
    let cut = update_payload(Some(&long), b"u");
    match event(KIND_UPDATE, &cut) {
        Some(BusEvent::Update { update, author }) => {
            assert_eq!(update.as_ref(), b"u");
            assert_eq!(author.unwrap().len(), 128);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        event(KIND_UPDATE, &update_payload(Some("a\nb"), b"u")),
        Some(BusEvent::Update { author: None, .. })
    ));
    // A truncated message is refused, not misread.
    assert!(event(KIND_UPDATE, b"\x09ab").is_none());
    assert!(event(wire::KIND_JOINED, b"\x00\x01").is_none());
}

#[tokio::test]
async fn the_author_travels_live_and_through_the_stream() {
    let _cuts = PUBSUB_CUTS.read().await;
    let prefix = prefix();
    let (a, b) = (bus(&prefix, "a").await, bus(&prefix, "b").await);
    let room = RoomId::generate();
    let mut sub_b = b.subscribe(&room).await.unwrap();
    let authored = |update: &'static [u8], who: &str| Outgoing::Update {
        update: Bytes::from_static(update),
        author: Some(who.to_owned()),
    };
    a.publish(&room, authored(b"one", "alice"));
    let got = next_event(&mut sub_b, Duration::from_secs(5)).await;
    assert!(
        matches!(&got, Some(BusEvent::Update { author: Some(who), .. }) if who == "alice"),
        "{got:?}"
    );
    a.publish(&room, authored(b"two", "bob"));
    wait_for_seq(&prefix, &room, 2).await;
    // A room opening later reads both from the stream, authors included.
    let c = bus(&prefix, "c").await;
    let mut sub_c = c.subscribe(&room).await.unwrap();
    let tail: Vec<(Bytes, Option<String>)> = sub_c
        .take_tail()
        .into_iter()
        .filter_map(|e| match e {
            BusEvent::Update { update, author } => Some((update, author)),
            _ => None,
        })
        .collect();
    assert_eq!(
        tail,
        [
            (Bytes::from_static(b"one"), Some("alice".to_owned())),
            (Bytes::from_static(b"two"), Some("bob".to_owned())),
        ]
    );
}

async fn stream_stats(prefix: &str, room: &RoomId) -> (u64, u64, Option<u64>) {
    let mut conn = plain().await;
    let len: u64 = redis::cmd("XLEN")
        .arg(format!("{prefix}:stream:{room}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let counted: Option<u64> = redis::cmd("GET")
        .arg(format!("{prefix}:sbytes:{room}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let memory: Option<u64> = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(format!("{prefix}:stream:{room}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    (len, counted.unwrap_or(0), memory)
}

#[tokio::test]
async fn the_stream_is_trimmed_to_its_byte_budget_oldest_first() {
    let _cuts = PUBSUB_CUTS.read().await;
    let prefix = prefix();
    let budget = 64 * 1024;
    let a = RedisBus::connect(RedisOptions {
        stream_max_bytes: budget,
        ..options(&prefix, "a")
    })
    .await
    .unwrap();
    let b = bus(&prefix, "b").await;
    let room = RoomId::generate();
    let mut sub_b = b.subscribe(&room).await.unwrap();
    // 100 updates of 4 KiB: 400 KiB published, the stream keeps ~64 KiB.
    for i in 0..100u8 {
        a.publish(&room, up(Bytes::from(vec![i; 4096])));
    }
    assert_eq!(updates(&mut sub_b, 100).await.len(), 100);
    let (len, counted, memory) = stream_stats(&prefix, &room).await;
    assert!(counted <= budget as u64, "count {counted} over {budget}");
    let per_entry = 4096 + 64;
    assert_eq!(len, (budget / per_entry) as u64, "entries kept");
    assert!(
        memory.unwrap_or(0) < 2 * budget as u64,
        "MEMORY USAGE {memory:?} for a budget of {budget}"
    );
    // What is kept is the newest, in order.
    let c = bus(&prefix, "c").await;
    let mut sub_c = c.subscribe(&room).await.unwrap();
    let tail: Vec<u8> = sub_c
        .take_tail()
        .into_iter()
        .filter_map(|e| match e {
            BusEvent::Update { update, .. } => Some(update[0]),
            _ => None,
        })
        .collect();
    let first = 100 - tail.len() as u8;
    assert_eq!(tail, (first..100).collect::<Vec<u8>>());
    // A gap older than the stream is a resync, not a partial replay.
    assert!(stream::replay(&c.inner, &room, 1, 100).await.is_err());
    assert!(
        stream::replay(&c.inner, &room, u64::from(first) + 1, 100)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_entry_bigger_than_the_budget_is_kept_alone() {
    let _cuts = PUBSUB_CUTS.read().await;
    let prefix = prefix();
    let a = RedisBus::connect(RedisOptions {
        stream_max_bytes: 1000,
        ..options(&prefix, "a")
    })
    .await
    .unwrap();
    let room = RoomId::generate();
    let _sub = a.subscribe(&room).await.unwrap();
    for _ in 0..3 {
        a.publish(&room, up(Bytes::from(vec![7; 5000])));
    }
    wait_for_seq(&prefix, &room, 3).await;
    let (len, counted, _) = stream_stats(&prefix, &room).await;
    assert_eq!((len, counted), (1, 5064));
}

#[tokio::test]
async fn a_slow_room_overflows_into_one_resync_without_holding_up_others() {
    let _cuts = PUBSUB_CUTS.read().await;
    let prefix = prefix();
    let a = bus(&prefix, "a").await;
    let b = RedisBus::connect(RedisOptions {
        subscription_queue: 5,
        ..options(&prefix, "b")
    })
    .await
    .unwrap();
    let (slow, fast) = (RoomId::generate(), RoomId::generate());
    let mut sub_slow = b.subscribe(&slow).await.unwrap();
    let mut sub_fast = b.subscribe(&fast).await.unwrap();
    // Nobody reads the slow room while 50 updates arrive for it; the
    // other room on the same pub/sub loop is read as they come.
    for p in payloads(0..50) {
        a.publish(&slow, up(p.clone()));
        a.publish(&fast, up(p.clone()));
        assert_eq!(updates(&mut sub_fast, 1).await, [p]);
    }
    wait_for_seq(&prefix, &slow, 50).await;
    // The slow room holds what fitted, then one Resync, then nothing.
    let mut got = Vec::new();
    while let Some(event) = sub_slow.try_recv() {
        got.push(event);
    }
    assert_eq!(got.len(), 6, "{got:?}");
    assert!(matches!(got[5], BusEvent::Resync));
    assert!(b.resyncs() >= 1);
    // Once it has taken the Resync, it hears live traffic again.
    a.publish(&slow, up(Bytes::from_static(b"later")));
    assert_eq!(
        updates(&mut sub_slow, 1).await,
        [Bytes::from_static(b"later")]
    );
}

#[tokio::test]
async fn a_resync_marker_reaches_peers_live_and_through_the_stream() {
    let _cuts = PUBSUB_CUTS.read().await;
    let prefix = prefix();
    let (a, b) = (bus(&prefix, "a").await, bus(&prefix, "b").await);
    let room = RoomId::generate();
    let mut sub_b = b.subscribe(&room).await.unwrap();
    // As if an update of A's had been dropped on its way out.
    lock(&a.inner.owed_resync).insert(room.clone());
    a.publish(&room, up(Bytes::from_static(b"next")));
    let first = timeout(Duration::from_secs(5), sub_b.recv()).await.unwrap();
    assert!(matches!(first, Some(BusEvent::Resync)), "{first:?}");
    assert_eq!(updates(&mut sub_b, 1).await, [Bytes::from_static(b"next")]);
    assert!(lock(&a.inner.owed_resync).is_empty());
    // The marker is sequenced: a replay finds it too.
    let replayed = stream::replay(&b.inner, &room, 1, 2).await.unwrap();
    assert!(matches!(replayed[0], BusEvent::Resync), "{replayed:?}");
}

#[tokio::test]
async fn shutdown_with_nothing_queued_does_not_wait_for_its_timeout() {
    let _cuts = PUBSUB_CUTS.read().await;
    let prefix = prefix();
    let a = bus(&prefix, "a").await;
    let room = RoomId::generate();
    a.set_presence(&room, 1);
    a.publish(&room, Outgoing::Presence { joined: true });
    assert!(presence_becomes(&a, &room, 1, Duration::from_secs(5)).await);
    let started = tokio::time::Instant::now();
    a.shutdown(Duration::from_secs(10)).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(bus(&prefix, "b").await.presence(&room).await.unwrap(), 0);
}

async fn ttls(bus: &RedisBus, room: &RoomId) -> [i64; 3] {
    let keys = &bus.inner.keys;
    let mut conn = plain().await;
    let mut out = [0; 3];
    for (slot, key) in
        out.iter_mut()
            .zip([keys.seq(room), keys.stream(room), keys.stream_bytes(room)])
    {
        *slot = redis::cmd("TTL")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    out
}

#[tokio::test]
async fn every_key_of_a_room_expires_even_after_one_was_lost() {
    let _cuts = PUBSUB_CUTS.read().await;
    let prefix = prefix();
    let bus = bus(&prefix, "a").await;
    let room = RoomId::generate();
    let half = i64::try_from(KEY_TTL_SECS / 2).unwrap();
    lose_update(&bus, &room, b"one").await;
    assert!(ttls(&bus, &room).await.iter().all(|t| *t > half));
    // The TTLs are not renewed on every update, so take them away by
    // hand: a key that lost its TTL (or was evicted and recreated) gets
    // one back with the next update.
    let mut conn = plain().await;
    for key in [bus.inner.keys.seq(&room), bus.inner.keys.stream(&room)] {
        let _: i64 = redis::cmd("PERSIST")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    let _: i64 = redis::cmd("DEL")
        .arg(bus.inner.keys.stream_bytes(&room))
        .query_async(&mut conn)
        .await
        .unwrap();
    lose_update(&bus, &room, b"two").await;
    assert!(ttls(&bus, &room).await.iter().all(|t| *t > half));
    // A seq whose TTL is past half its life renews all three.
    let _: i64 = redis::cmd("EXPIRE")
        .arg(bus.inner.keys.seq(&room))
        .arg(half - 10)
        .query_async(&mut conn)
        .await
        .unwrap();
    lose_update(&bus, &room, b"three").await;
    assert!(ttls(&bus, &room).await.iter().all(|t| *t > half));
    assert_eq!(seq_of(&prefix, &room).await, 3);
}
