use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use yrs::sync::{Awareness, Message, MessageReader, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{Any, Array, Doc, Map, MapPrelim, ReadTxn, StateVector, Text, Transact, Update};

use super::*;

const MAX: usize = 64;

fn yrs_decode(frame: &[u8]) -> Vec<Message> {
    let mut decoder = DecoderV1::from(frame);
    MessageReader::new(&mut decoder)
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

/// A document with text (non-ASCII included), map entries and deletions.
fn edited_doc() -> (Doc, Vec<Vec<u8>>) {
    let doc = crate::doc::new_doc();
    let code = doc.get_or_insert_text("code");
    let meta = doc.get_or_insert_map("meta");
    let mut updates = Vec::new();
    let mut edit = |f: &dyn Fn(&mut yrs::TransactionMut)| {
        let mut txn = doc.transact_mut();
        f(&mut txn);
        updates.push(txn.encode_update_v1());
    };
    edit(&|txn| code.insert(txn, 0, "héllo 🙂 wörld\n"));
    edit(&|txn| {
        meta.insert(txn, "language", "python");
    });
    edit(&|txn| code.remove_range(txn, 2, 5));
    edit(&|txn| code.insert(txn, 3, "日本語"));
    edit(&|txn| {
        meta.insert(txn, "language", "rust");
        meta.insert(txn, "n", 42);
        meta.insert(txn, "neg", -7_000_000_000i64);
        meta.insert(txn, "f", 1.5);
        meta.insert(txn, "flag", true);
    });
    (doc, updates)
}

fn frame(messages: &[Message]) -> Vec<u8> {
    messages.iter().flat_map(|m| m.encode_v1()).collect()
}

fn awareness_update() -> yrs::sync::AwarenessUpdate {
    let mut awareness = Awareness::new(Doc::with_client_id(7));
    awareness
        .set_local_state(serde_json::json!({"user": {"name": "Zoë", "color": "#30bced"}}))
        .unwrap();
    awareness.update().unwrap()
}

#[test]
fn frames_made_by_yrs_decode_as_yrs_decodes_them() {
    let (doc, updates) = edited_doc();
    let txn = doc.transact();
    let mut messages = vec![
        Message::Sync(SyncMessage::SyncStep1(txn.state_vector())),
        Message::Sync(SyncMessage::SyncStep1(StateVector::default())),
        Message::Sync(SyncMessage::SyncStep2(
            txn.encode_state_as_update_v1(&StateVector::default()),
        )),
        Message::Awareness(awareness_update()),
        Message::AwarenessQuery,
        Message::Auth(None),
        Message::Auth(Some("nope".into())),
    ];
    messages.extend(
        updates
            .iter()
            .map(|u| Message::Sync(SyncMessage::Update(u.clone()))),
    );
    let bytes = frame(&messages);
    let decoded = decode_frame(&bytes, MAX).unwrap();
    assert_eq!(decoded, yrs_decode(&bytes));
    assert_eq!(decoded, messages);
    // Each message alone, too.
    for message in &messages {
        let one = message.encode_v1();
        assert_eq!(decode_frame(&one, 1).unwrap(), vec![message.clone()]);
    }
}

#[test]
fn updates_made_by_yrs_pass_the_walk_and_yrs() {
    let (doc, updates) = edited_doc();
    let full = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    for update in updates.iter().chain([&full]) {
        inspect_update(update).unwrap();
        Update::decode_v1(update).unwrap();
    }
    let empty = Update::default().encode_v1();
    assert_eq!(inspect_update(&empty).unwrap().blocks, 0);
}

#[test]
fn the_state_vector_probe_is_refused_at_once() {
    let probe = [0x03, 0x00, 0x00, 0x05, 0x80, 0x80, 0x80, 0x80, 0x01];
    let started = Instant::now();
    assert_eq!(decode_frame(&probe, MAX), Err(WireError::CountTooLarge));
    assert!(started.elapsed() < Duration::from_millis(50));
}

#[test]
fn a_frame_of_many_queries_is_refused_for_its_count() {
    let queries = vec![0x03; 100_000];
    assert_eq!(
        decode_frame(&queries, MAX),
        Err(WireError::TooManyMessages { max: MAX })
    );
    assert_eq!(decode_frame(&queries[..MAX], MAX).unwrap().len(), MAX);
    assert_eq!(decode_frame(&[], MAX), Err(WireError::Empty));
}

#[test]
fn every_truncation_of_a_valid_frame_is_refused() {
    let (_, updates) = edited_doc();
    let messages = [
        Message::Awareness(awareness_update()),
        Message::Sync(SyncMessage::Update(updates[0].clone())),
    ];
    let bytes = frame(&messages);
    let first_len = messages[0].encode_v1().len();
    for end in 1..bytes.len() {
        // Cutting exactly between the two messages leaves a valid frame.
        if end == first_len {
            continue;
        }
        assert!(decode_frame(&bytes[..end], MAX).is_err(), "prefix {end}");
    }
    for end in 0..updates[0].len() {
        assert!(inspect_update(&updates[0][..end]).is_err(), "prefix {end}");
    }
}

#[test]
fn garbage_is_refused_without_panicking() {
    for bad in [
        &[0x04, 0x00][..],                     // a custom message type
        &[0x00, 0x03, 0x00],                   // an unknown sync type
        &[0x00, 0x00, 0x02, 0x00, 0x00],       // bytes after a state vector
        &[0x02, 0x80, 0x02],                   // auth permission over 255
        &[0x00, 0x02, 0x03, 0x00, 0x00, 0x00], // bytes after an update
        &[0x00, 0x02, 0x02, 0xff, 0xff],       // varint cut short
        &[0x01, 0x03, 0x01, 0x01, 0x01],       // awareness text missing
        &[0x03, 0xff],                         // a message cut short
    ] {
        assert!(decode_frame(bad, MAX).is_err(), "{bad:02x?}");
    }
    // A cheap generator: nothing it makes may panic either side.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..20_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 24) as usize;
        let bytes: Vec<u8> = (0..len).map(|i| (state >> (i % 8 * 8)) as u8).collect();
        if let Ok(messages) = decode_frame(&bytes, MAX) {
            assert_eq!(messages, yrs_decode(&bytes));
        }
        if inspect_update(&bytes).is_ok() {
            Update::decode_v1(&bytes).unwrap();
        }
    }
}

/// `depth` levels: arrays around a null.
fn nested(depth: usize) -> Any {
    (1..depth).fold(Any::Null, |inner, _| Any::Array(Arc::from(vec![inner])))
}

fn array_update(value: Any) -> Vec<u8> {
    let doc = Doc::new();
    let list = doc.get_or_insert_array("list");
    let mut txn = doc.transact_mut();
    list.push_back(&mut txn, value);
    txn.encode_update_v1()
}

#[test]
fn any_nesting_is_capped() {
    let deepest = array_update(nested(MAX_ANY_DEPTH));
    inspect_update(&deepest).unwrap();
    Update::decode_v1(&deepest).unwrap();
    let deeper = array_update(nested(MAX_ANY_DEPTH + 1));
    assert_eq!(inspect_update(&deeper), Err(WireError::TooDeep));
    // A hand-made chain of a million arrays would overflow yrs's stack.
    let mut bomb = vec![
        0x01, 0x01, 0x01, 0x00, 0x08, 0x01, 0x04, b'l', b'i', b's', b't',
    ];
    bomb.extend([0x01, 117].iter().cycle().take(2_000_000));
    assert_eq!(inspect_update(&bomb), Err(WireError::TooDeep));
}

/// One client, one string item in root `r`, at `clock`; no deletions.
fn string_at(clock: u32, text: &str) -> Vec<u8> {
    let mut out = vec![0x01, 0x01, 0x09];
    write_var(&mut out, u64::from(clock));
    out.extend([0x04, 0x01, 0x01, b'r']);
    write_var(&mut out, text.len() as u64);
    out.extend(text.as_bytes());
    out.push(0x00);
    out
}

fn write_var(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[test]
fn clocks_near_the_top_are_refused() {
    let ok = string_at(MAX_CLOCK - 2, "ab");
    inspect_update(&ok).unwrap();
    Update::decode_v1(&ok).unwrap();
    assert_eq!(
        inspect_update(&string_at(MAX_CLOCK - 1, "ab")),
        Err(WireError::ClockOverflow)
    );
    assert_eq!(
        inspect_update(&string_at(u32::MAX, "a")),
        Err(WireError::ClockOverflow)
    );
    // A GC range whose end wraps past u32::MAX.
    let gc = [
        0x01, 0x01, 0x09, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x05, 0x00,
    ];
    assert_eq!(inspect_update(&gc), Err(WireError::ClockOverflow));
    // A deletion range likewise.
    let mut ds = vec![0x00, 0x01, 0x09, 0x01];
    write_var(&mut ds, u64::from(u32::MAX - 1));
    ds.push(0x05);
    assert_eq!(inspect_update(&ds), Err(WireError::ClockOverflow));
    // A state vector and an awareness clock at u32::MAX.
    let sv = [0x00, 0x00, 0x07, 0x01, 0x09, 0xff, 0xff, 0xff, 0xff, 0x0f];
    assert_eq!(decode_frame(&sv, MAX), Err(WireError::ClockOverflow));
    let aw = [
        0x01, 0x09, 0x01, 0x09, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, b'1',
    ];
    assert_eq!(decode_frame(&aw, MAX), Err(WireError::ClockOverflow));
}

#[test]
fn integers_yrs_would_overflow_on_are_refused() {
    // An Any integer: 11 bytes (a shift by 69), and -i64::MIN.
    let mut long = vec![0x01, 0x01, 0x09, 0x00, 0x08, 0x01, 0x01, b'l', 0x01, 125];
    long.extend([0xff; 10]);
    long.extend([0x01, 0x00]);
    assert_eq!(inspect_update(&long), Err(WireError::BadVarint));
    let mut min = vec![
        0x01, 0x01, 0x09, 0x00, 0x08, 0x01, 0x01, b'l', 0x01, 125, 0xc0,
    ];
    min.extend([0x80; 8]);
    min.extend([0x02, 0x00]);
    assert_eq!(inspect_update(&min), Err(WireError::BadVarint));
}

#[test]
fn shapes_name_roots_and_content_kinds() {
    let doc = Doc::new();
    let other = doc.get_or_insert_text("other");
    let code = doc.get_or_insert_text("code");
    let meta = doc.get_or_insert_map("meta");
    let shape = |f: &dyn Fn(&mut yrs::TransactionMut)| {
        let mut txn = doc.transact_mut();
        f(&mut txn);
        inspect_update(&txn.encode_update_v1()).unwrap()
    };

    let s = shape(&|txn| other.insert(txn, 0, "x"));
    assert_eq!(s.roots, ["other".to_owned()].into());
    assert_eq!(s.kinds, [ContentKind::String].into());
    assert_eq!(s.foreign(), None);

    let s = shape(&|txn| {
        code.insert(txn, 0, "abc");
        meta.insert(txn, "language", "python");
    });
    assert_eq!(s.roots, ["code".to_owned(), "meta".to_owned()].into());
    assert_eq!(s.kinds, [ContentKind::String, ContentKind::Any].into());

    let bold: HashMap<Arc<str>, Any> = [(Arc::from("bold"), Any::Bool(true))].into();
    let s = shape(&|txn| code.format(txn, 0, 2, bold.clone()));
    assert!(s.kinds.contains(&ContentKind::Format), "{s:?}");
    assert_eq!(s.foreign(), Some(ContentKind::Format));

    let s = shape(&|txn| {
        code.insert_embed(txn, 1, Any::from("image"));
    });
    assert_eq!(s.foreign(), Some(ContentKind::Embed));

    let s = shape(&|txn| {
        meta.insert(txn, "nested", MapPrelim::default());
    });
    assert_eq!(s.foreign(), Some(ContentKind::Type));
    let s = shape(&|txn| {
        let Some(yrs::Out::YMap(inner)) = meta.get(txn, "nested") else {
            panic!("nested map")
        };
        inner.insert(txn, "k", "v");
    });
    assert!(s.nested && s.roots.is_empty(), "{s:?}");

    let s = shape(&|txn| code.remove_range(txn, 0, 1));
    assert_eq!((s.blocks, s.delete_ranges), (0, 1));

    // A full state re-encodes deleted items as deleted content.
    let full = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    assert!(
        inspect_update(&full)
            .unwrap()
            .kinds
            .contains(&ContentKind::Deleted)
    );
}

#[test]
fn client_ids_past_53_bits_are_refused() {
    // yrs asserts ids below 2^53 (a panic in a debug build).
    let mut update = vec![0x01, 0x01];
    write_var(&mut update, 1 << 53);
    update.extend([0x00, 0x04, 0x01, 0x01, b'r', 0x01, b'x', 0x00]);
    assert_eq!(inspect_update(&update), Err(WireError::BadClient));
    let mut sv = vec![0x01];
    write_var(&mut sv, u64::MAX >> 1);
    sv.push(0x00);
    let mut frame = vec![0x00, 0x00, sv.len() as u8];
    frame.extend(sv);
    assert_eq!(decode_frame(&frame, MAX), Err(WireError::BadClient));
    let mut ds = vec![0x00, 0x01];
    write_var(&mut ds, 1 << 60);
    ds.extend([0x01, 0x00, 0x01]);
    assert_eq!(inspect_update(&ds), Err(WireError::BadClient));
}

#[test]
fn a_client_with_two_block_groups_is_refused() {
    // Found by the yjs_frame fuzz target: yrs appends the second group to
    // the first out of clock order, then panics (`unreachable!` in
    // `find_index`) applying it to a document that knows the client.
    let group = |clock: u8, text: u8| [0x01, 0x09, clock, 0x04, 0x01, 0x01, b'r', 0x01, text];
    let mut twice = vec![0x02];
    twice.extend(group(5, b'x'));
    twice.extend(group(0, b'y'));
    twice.push(0x00);
    assert_eq!(inspect_update(&twice), Err(WireError::RepeatedClient(9)));
    let doc = Doc::with_client_id(1);
    let known = string_at(0, "abcdefgh");
    crate::doc::apply_update(&doc, &known).unwrap();
    assert!(crate::doc::apply_update(&doc, &twice).is_err());
    // Two different clients are fine.
    let mut two = vec![0x02];
    two.extend(group(0, b'x'));
    let mut other = group(0, b'y');
    other[1] = 0x0a;
    two.extend(other);
    two.push(0x00);
    assert!(inspect_update(&two).is_ok());
}
