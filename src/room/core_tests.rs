//! The room core's bounds, one test each, without sockets.

use super::*;
use yrs::{Map, Text, Transact};

const KIB: usize = 1024;

fn limits() -> CoreLimits {
    CoreLimits {
        max_doc_bytes: 16 * KIB,
        max_pending_bytes: 2 * KIB,
        sync_requests_per_min: 3,
        awareness: AwarenessLimits {
            ids_per_conn: 2,
            state_bytes: 256,
            remote_ids: 8,
            ttl_ms: 30_000,
        },
        shadow: ShadowLimits {
            max_bytes: 64 * KIB,
            merge_budget: 4_000_000,
        },
    }
}

fn core() -> Core {
    let state = doc::initial_state("# hi\n", "python");
    Core::new(doc::from_updates([state.as_slice()]).unwrap(), limits())
}

/// A Yjs client holding the room's current state.
fn client_of(core: &Core) -> Doc {
    let client = doc::new_doc();
    doc::apply_update(&client, &doc::full_state(&core.doc)).unwrap();
    client
}

fn insert(client: &Doc, root: &str, at: u32, s: &str) -> Vec<u8> {
    let text = client.get_or_insert_text(root);
    let mut txn = client.transact_mut();
    text.insert(&mut txn, at, s);
    txn.encode_update_v1()
}

fn update(bytes: Vec<u8>) -> Message {
    Message::Sync(SyncMessage::Update(bytes))
}

fn closed(effects: &Effects) -> Vec<(PeerId, u16)> {
    effects.close.iter().map(|(p, r)| (*p, r.code)).collect()
}

fn frames_to(effects: &Effects, peer: PeerId) -> usize {
    effects.frames.iter().filter(|(p, _)| *p == peer).count()
}

#[test]
fn an_edit_reaches_the_others_the_store_and_the_bus() {
    let mut core = core();
    let (a, _) = core.join(PeerKind::Yjs, "a".into(), 1, 0);
    let (b, _) = core.join(PeerKind::Yjs, "b".into(), 2, 0);
    let (j, _) = core.join(PeerKind::Json, "j".into(), 3, 0);
    let client = client_of(&core);
    let e = core.yjs(a, update(insert(&client, doc::CODE, 0, "x")), 0);
    assert!(e.close.is_empty());
    assert_eq!(frames_to(&e, a), 0, "no echo");
    assert_eq!(frames_to(&e, b), 1);
    assert_eq!(frames_to(&e, j), 1);
    assert_eq!(e.persist.len(), 1);
    assert!(matches!(e.publish.as_slice(), [Outgoing::Update { .. }]));
    assert_eq!(core.snapshot().code, "x# hi\n");
}

#[test]
fn updates_outside_the_document_shape_are_refused() {
    let mut core = core();
    let (a, _) = core.join(PeerKind::Yjs, "a".into(), 1, 0);
    let client = client_of(&core);
    let e = core.yjs(a, update(insert(&client, "other", 0, "junk")), 0);
    assert_eq!(closed(&e), vec![(a, 4400)]);
    assert!(e.persist.is_empty());

    let (b, _) = core.join(PeerKind::Yjs, "b".into(), 1, 0);
    let formatted = {
        let text = client.get_or_insert_text(doc::CODE);
        let mut txn = client.transact_mut();
        let bold = yrs::types::Attrs::from([(Arc::from("bold"), yrs::Any::Bool(true))]);
        text.format(&mut txn, 0, 2, bold);
        txn.encode_update_v1()
    };
    let e = core.yjs(b, update(formatted), 0);
    assert_eq!(closed(&e), vec![(b, 4400)]);
    assert_eq!(core.snapshot().code, "# hi\n");
}

#[test]
fn the_document_limit_counts_the_whole_state() {
    let mut core = core();
    let (a, _) = core.join(PeerKind::Yjs, "a".into(), 1, 0);
    let client = client_of(&core);
    // Bytes in `meta` count as much as bytes in `code`.
    let big_meta = {
        let meta = client.get_or_insert_map(doc::META);
        let mut txn = client.transact_mut();
        meta.insert(&mut txn, "note", "m".repeat(12 * KIB));
        txn.encode_update_v1()
    };
    assert!(core.yjs(a, update(big_meta), 0).close.is_empty());
    let e = core.yjs(
        a,
        update(insert(&client, doc::CODE, 0, &"c".repeat(6 * KIB))),
        0,
    );
    assert_eq!(closed(&e), vec![(a, 1009)]);
    assert_eq!(core.snapshot().code, "# hi\n");
}

#[test]
fn updates_relayed_by_other_instances_park_within_a_byte_bound() {
    let mut core = core();
    let other = client_of(&core);
    let _skipped = insert(&other, doc::CODE, 0, "first");
    let client = doc::new_doc();
    doc::apply_update(&client, &doc::full_state(&other)).unwrap();
    // Depends on `_skipped` (another client's), which the room never
    // gets: parked as pending, past the bound dropped.
    let small = insert(&client, doc::CODE, 5, "p");
    let e = core.remote_update(&small, None);
    assert!(e.rejected.is_empty());
    assert!(doc::pending_len(&core.doc) > 0);
    let big = insert(&client, doc::CODE, 6, &"p".repeat(3 * KIB));
    let e = core.remote_update(&big, None);
    assert!(e.rejected.contains(&"pending_dropped"));
    assert_eq!(doc::pending_len(&core.doc), 0);
}

#[test]
fn a_parked_state_yrs_cannot_encode_is_dropped_before_it_can_panic() {
    // The yjs_frame fuzz target's crash: this update (JSON content, held
    // for a missing origin) parks a state whose encoding yrs 0.28 cannot
    // read back; the next sync step 1 answer then panicked inside yrs. A
    // client's copy is refused by its shape; one relayed by another
    // instance is not checked for shape, so the parked state is dropped.
    let poison = vec![1, 1, 9, 253, 255, 1, 114, 2, 97, 1, 1, 114, 2, 97, 98, 0];
    let mut core = core();
    let (a, _) = core.join(PeerKind::Yjs, "a".into(), 1, 0);
    let e = core.yjs(a, update(poison.clone()), 0);
    assert_eq!(closed(&e), vec![(a, 4400)]);

    let mut core = self::core();
    let (a, _) = core.join(PeerKind::Yjs, "a".into(), 1, 0);
    let e = core.remote_update(&poison, None);
    assert!(e.rejected.contains(&"pending_dropped"));
    assert!(doc::pending_is_sound(&core.doc));
    let e = core.yjs(
        a,
        Message::Sync(SyncMessage::SyncStep1(yrs::StateVector::default())),
        0,
    );
    assert_eq!(frames_to(&e, a), 1, "the sync step 1 is answered");
    assert_eq!(doc::text(&core.doc), "# hi\n");
}

#[test]
fn an_update_refused_half_way_is_relayed_for_what_it_changed() {
    // Found by the yjs_frame fuzz target: yrs integrates the first items,
    // then refuses a parent that is a string item, and cannot roll back.
    // Before, the room kept the half (new joiners got it) while nobody
    // else or the store did. Client 2 inserts "imp" before the first
    // character, then a deleted item whose parent is that string. A
    // client's copy is refused by its shape (a parent by id); one relayed
    // by another instance is not checked for shape.
    let half_bad = vec![
        1, 2, 2, 0, 0x44, 1, 0, 3, b'i', b'm', b'p', 0x21, 0, 2, 1, 0, 7, 0,
    ];
    let base = crate::fuzzing::base_state();
    let fresh = || Core::new(doc::from_updates([base]).unwrap(), limits());
    let mut core = fresh();
    let (a, _) = core.join(PeerKind::Yjs, "a".into(), 1, 0);
    let e = core.yjs(a, update(half_bad.clone()), 0);
    assert_eq!(closed(&e), vec![(a, 4400)]);
    assert!(e.persist.is_empty());

    let mut core = fresh();
    let (a, _) = core.join(PeerKind::Yjs, "a".into(), 1, 0);
    let e = core.remote_update(&half_bad, None);
    assert!(e.rejected.contains(&"malformed_remote_update"));
    assert!(doc::text(&core.doc).starts_with("imp# Welcome"));
    assert_eq!(frames_to(&e, a), 1, "what changed is relayed");
    let stored: Vec<&[u8]> = std::iter::once(base)
        .chain(e.persist.iter().map(|u| &u[..]))
        .collect();
    assert_eq!(
        doc::text(&doc::from_updates(stored).unwrap()),
        doc::text(&core.doc),
        "and stored"
    );
}

#[test]
fn an_update_that_skips_part_of_a_clients_history_is_asked_for_again() {
    // Found by the yjs_frame fuzz target: yrs shows blocks that jump ahead
    // of their client's clock in the text at once, but the state a joining
    // client is sent stops at the gap, so Yjs joiners and JSON clients
    // saw different documents for as long as the gap stayed open.
    let mut core = core();
    let (a, _) = core.join(PeerKind::Yjs, "a".into(), 1, 0);
    let client = client_of(&core);
    let first = insert(&client, doc::CODE, 0, "first ");
    let second = insert(&client, doc::CODE, 11, " second");
    let e = core.yjs(a, update(second.clone()), 0);
    assert!(e.close.is_empty());
    assert!(e.rejected.contains(&"missing_dependency"));
    assert!(e.persist.is_empty());
    assert_eq!(doc::text(&core.doc), "# hi\n");
    let asks = e
        .frames
        .iter()
        .filter(|(p, f)| *p == a && matches!(f, Frame::Binary(b) if b.starts_with(&[0, 0])));
    assert_eq!(asks.count(), 1, "a sync step 1 asks the client again");
    // In order, both apply, and a joiner's state holds them.
    core.yjs(a, update(first), 0);
    core.yjs(a, update(second), 0);
    assert_eq!(doc::text(&core.doc), "first # hi\n second");
    assert_eq!(doc::text(&client_of(&core)), doc::text(&core.doc));
}

#[test]
fn a_clients_update_parks_nothing_however_small() {
    let mut core = core();
    let (a, _) = core.join(PeerKind::Yjs, "a".into(), 1, 0);
    let other = client_of(&core);
    let unseen = insert(&other, doc::CODE, 0, "first");
    let client = doc::new_doc();
    doc::apply_update(&client, &doc::full_state(&other)).unwrap();
    let orphan = insert(&client, doc::CODE, 5, "!");
    let e = core.yjs(a, update(orphan.clone()), 0);
    assert!(e.rejected.contains(&"missing_dependency"));
    assert_eq!(doc::pending_len(&core.doc), 0);
    assert!(e.persist.is_empty(), "nothing of it applied");
    assert_eq!(frames_to(&e, a), 1, "asked again");
    // Asked again, the client sends both, in order.
    core.yjs(a, update(unseen), 0);
    core.yjs(a, update(orphan), 0);
    assert_eq!(doc::text(&core.doc), "first!# hi\n");
}

#[test]
fn sync_requests_are_rate_limited() {
    let mut core = core();
    let (a, _) = core.join(PeerKind::Yjs, "a".into(), 1, 0);
    let ask = || Message::Sync(SyncMessage::SyncStep1(yrs::StateVector::default()));
    for _ in 0..3 {
        let e = core.yjs(a, ask(), 0);
        assert_eq!(frames_to(&e, a), 1);
    }
    let e = core.yjs(a, Message::AwarenessQuery, 0);
    assert_eq!(closed(&e), vec![(a, 4429)]);
    // A minute later the bucket has refilled.
    let (b, _) = core.join(PeerKind::Yjs, "b".into(), 1, 0);
    for _ in 0..3 {
        core.yjs(b, ask(), 0);
    }
    assert!(core.yjs(b, ask(), 60_000).close.is_empty());
}

fn awareness(entries: &[(u64, u32, &str)]) -> Message {
    let mut clients = std::collections::HashMap::new();
    for &(id, clock, json) in entries {
        clients.insert(
            yrs::ClientID::new(id),
            yrs::sync::awareness::AwarenessUpdateEntry {
                clock,
                json: Arc::from(json),
            },
        );
    }
    Message::Awareness(AwarenessUpdate { clients })
}

#[test]
fn awareness_is_owned_and_leaves_with_its_connection() {
    let mut core = core();
    let (a, _) = core.join(PeerKind::Yjs, "a".into(), 1, 0);
    let (b, _) = core.join(PeerKind::Yjs, "b".into(), 2, 0);
    let e = core.yjs(a, awareness(&[(10, 1, "{\"user\":\"a\"}")]), 0);
    assert_eq!(frames_to(&e, b), 1);
    // B cannot overwrite or clear A's id.
    let e = core.yjs(b, awareness(&[(10, 9, "null")]), 0);
    assert_eq!(frames_to(&e, a), 0);
    assert!(e.rejected.contains(&"awareness_foreign_id"));
    // Too many ids, or too big a state: disconnected.
    let e = core.yjs(
        b,
        awareness(&[(20, 1, "{}"), (21, 1, "{}"), (22, 1, "{}")]),
        0,
    );
    assert_eq!(closed(&e), vec![(b, 4400)]);
    let (c, _) = core.join(PeerKind::Yjs, "c".into(), 2, 0);
    let big = format!("\"{}\"", "x".repeat(300));
    assert_eq!(
        closed(&core.yjs(c, awareness(&[(30, 1, &big)]), 0)),
        vec![(c, 4400)]
    );
    // A joining client sees A's state; when A leaves, everyone is told.
    let (d, greeting) = core.join(PeerKind::Yjs, "d".into(), 2, 0);
    assert_eq!(
        frames_to(&greeting, d),
        2,
        "sync step 1 and the awareness dump"
    );
    let e = core.leave(a);
    assert_eq!(frames_to(&e, d), 1);
    assert!(matches!(e.publish.as_slice(), [Outgoing::Awareness(_)]));
}

#[test]
fn an_unlike_full_text_merges_within_the_budget() {
    let mut core = core();
    let (j, _) = core.join(PeerKind::Json, "j".into(), 1, 0);
    let edit = |code: String| JsonEdit {
        code,
        cursor: None,
        language: None,
        base_version: None,
        user_id: None,
    };
    assert!(core.json_code(j, edit("a".repeat(6000))).close.is_empty());
    assert!(core.json_code(j, edit("b".repeat(6000))).close.is_empty());
    assert_eq!(core.snapshot().code, "b".repeat(6000));
}

#[test]
fn a_json_change_is_relayed_with_its_senders_user_id() {
    let mut core = core();
    let (j, _) = core.join(PeerKind::Json, "server-id-j".into(), 1, 0);
    let (k, _) = core.join(PeerKind::Json, "server-id-k".into(), 2, 0);
    let e = core.json_code(
        j,
        JsonEdit {
            code: "print(1)\n".into(),
            cursor: Some(3),
            language: None,
            base_version: None,
            user_id: Some("user123".into()),
        },
    );
    let (_, Frame::Text(frame)) = e.frames.iter().find(|(p, _)| *p == k).unwrap() else {
        panic!("a text frame")
    };
    let message: serde_json::Value = serde_json::from_slice(frame).unwrap();
    assert_eq!(message["userId"], "user123");
    assert_eq!(message["cursorPosition"], 3);
    assert_eq!(message["code"], "print(1)\n");
}

#[test]
fn a_language_written_through_yjs_must_be_valid() {
    let mut core = core();
    let (a, _) = core.join(PeerKind::Yjs, "a".into(), 1, 0);
    let client = client_of(&core);
    let set = |value: &str| {
        let meta = client.get_or_insert_map(doc::META);
        let mut txn = client.transact_mut();
        meta.insert(&mut txn, doc::LANGUAGE, value);
        txn.encode_update_v1()
    };
    core.yjs(a, update(set("<script>alert(1)</script>")), 0);
    assert_eq!(core.snapshot().language, "python");
    core.yjs(a, update(set("rust")), 0);
    assert_eq!(core.snapshot().language, "rust");
}

#[test]
fn a_panic_inside_a_step_costs_its_connection_not_the_room() {
    let mut core = core();
    let (a, _) = core.join(PeerKind::Yjs, "a".into(), 1, 0);
    let (b, _) = core.join(PeerKind::Yjs, "b".into(), 2, 0);
    let client = client_of(&core);
    core.yjs(b, update(insert(&client, doc::CODE, 0, "kept ")), 0);
    let outcome = guarded(&mut core, Some(a), |core| {
        let _ = core.peer_count();
        panic!("as yrs does on input nobody foresaw");
    });
    let Guarded::Panicked(effects) = outcome else {
        panic!("the panic is reported");
    };
    assert_eq!(closed(&effects), vec![(a, 1011)]);
    assert_eq!(
        core.peer_count(),
        1,
        "the culprit left, the bystander stays"
    );
    assert_eq!(doc::text(&core.doc), "kept # hi\n");
    // The room goes on.
    let more = guarded(&mut core, Some(b), |core| {
        core.yjs(b, update(insert(&client, doc::CODE, 5, "on ")), 0)
    });
    assert!(matches!(more, Guarded::Ran(_)));
    assert_eq!(doc::text(&core.doc), "kept on # hi\n");
}
