//! The shared document model, free of any I/O: a `yrs::Doc` with a
//! `Y.Text` named `code` and a `Y.Map` named `meta` (key `language`),
//! counting positions in UTF-16 code units like the browsers' Yjs.
//!
//! The room actor, the stores (for compaction) and the tests all build
//! documents through here, so the layout is defined once.

use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, Map, OffsetKind, Options, ReadTxn, StateVector, Text, Transact, Update};

pub const CODE: &str = "code";
pub const META: &str = "meta";
pub const LANGUAGE: &str = "language";

#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("malformed update: {0}")]
    Malformed(String),
    /// yrs refused the update after integrating part of it (it checks
    /// some references, such as a parent that is not a shared type, only
    /// as it goes, and cannot roll back). `effective` is what did change:
    /// relayed and stored like any change, it keeps every copy of the
    /// document equal.
    #[error("update refused after it partly applied: {reason}")]
    Partial { effective: Vec<u8>, reason: String },
    /// The update skips part of a client's history, or names an item
    /// the document lacks (see [`apply_in_order`]); nothing was applied.
    #[error("update depends on what the document lacks")]
    Ahead,
}

/// A fresh, empty document using UTF-16 offsets.
pub fn new_doc() -> Doc {
    Doc::with_options(Options {
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    })
}

/// The first state of a new room: its welcome text and language. Created
/// once, stored as the room's first snapshot, never regenerated on load
/// (regenerating would insert the welcome twice).
pub fn initial_state(code: &str, language: &str) -> Vec<u8> {
    initial_state_of(new_doc(), code, language)
}

/// `initial_state` written by a fixed client id, so that edits made
/// against it elsewhere (fuzz seeds) keep referring to its items.
pub(crate) fn initial_state_by(client_id: u64, code: &str, language: &str) -> Vec<u8> {
    let doc = Doc::with_options(Options {
        client_id: yrs::block::ClientID::new(client_id),
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    });
    initial_state_of(doc, code, language)
}

fn initial_state_of(doc: Doc, code: &str, language: &str) -> Vec<u8> {
    let text = doc.get_or_insert_text(CODE);
    let meta = doc.get_or_insert_map(META);
    let mut txn = doc.transact_mut();
    text.insert(&mut txn, 0, code);
    meta.insert(&mut txn, LANGUAGE, language);
    txn.encode_state_as_update_v1(&StateVector::default())
}

/// Applies one v1 update; returns the bytes of what actually changed
/// (`None` when the update was already known or is waiting for missing
/// dependencies), so a duplicate is never relayed.
///
/// yrs integrates blocks that arrive ahead of their client's clock (a gap,
/// with no missing origin) at once, behind a skip, but its state vector
/// does not move past the gap, so the transaction's own update leaves them
/// out: relayed and stored as that, they would exist in this document
/// only. When the update jumps ahead, its blocks are therefore merged into
/// what is returned.
pub fn apply_update(doc: &Doc, update: &[u8]) -> Result<Option<Vec<u8>>, DocError> {
    apply(doc, update, false)
}

/// [`apply_update`] for an update a connected client sent: one that jumps
/// ahead of some client's clock, or names an item (origin, parent,
/// deletion) the document lacks and the update does not bring, is refused
/// ([`DocError::Ahead`]) before anything applies. yrs would integrate
/// blocks behind a gap (shown in the text, left out of the state a joiner
/// is sent) or park part of the update, and its handling of parked parts
/// lets copies differ. A client only names what the room sent it or what
/// it made itself; asked again, it sends what the room lacks, in order.
pub fn apply_in_order(doc: &Doc, update: &[u8]) -> Result<Option<Vec<u8>>, DocError> {
    apply(doc, update, true)
}

fn apply(doc: &Doc, update: &[u8], in_order: bool) -> Result<Option<Vec<u8>>, DocError> {
    // yrs trusts the counts and clocks inside; the walk does not.
    let shape =
        crate::wire::inspect_update(update).map_err(|e| DocError::Malformed(e.to_string()))?;
    let raw = update;
    let update = Update::decode_v1(raw).map_err(|e| DocError::Malformed(e.to_string()))?;
    let mut txn = doc.transact_mut();
    let before = txn.state_vector();
    if in_order && !shape.self_contained(|client| before.get(&yrs::block::ClientID::new(client))) {
        return Err(DocError::Ahead);
    }
    let ahead = update
        .state_vector_lower()
        .iter()
        .any(|(client, clock)| *clock > before.get(client));
    if let Err(e) = txn.apply_update(update) {
        let reason = e.to_string();
        if txn.has_changes() {
            let effective = txn.encode_update_v1();
            return Err(DocError::Partial { effective, reason });
        }
        return Err(DocError::Malformed(reason));
    }
    if !txn.has_changes() {
        return Ok(None);
    }
    let effective = txn.encode_update_v1();
    if !ahead {
        return Ok(Some(effective));
    }
    yrs::merge_updates_v1([effective.as_slice(), raw])
        .map(Some)
        .map_err(|e| DocError::Malformed(e.to_string()))
}

/// Whether applying `update` would change `doc`: an insertion it does
/// not hold yet, or a deletion of something not yet deleted in it. What a
/// read-only client may send is exactly what answers `false`: its sync
/// step 2 repeats only what it was sent, deletions included (a step 2
/// always carries its sender's whole delete set). Walks the document's
/// blocks once when the update deletes anything.
pub fn carries_news(doc: &Doc, update: &[u8]) -> Result<bool, DocError> {
    let update = Update::decode_v1(update).map_err(|e| DocError::Malformed(e.to_string()))?;
    let txn = doc.transact();
    let held = txn.state_vector();
    for (client, ranges) in update.insertions(true).iter() {
        if ranges.iter().any(|r| r.end > held.get(client)) {
            return Ok(true);
        }
    }
    if update.delete_set().is_empty() {
        return Ok(false);
    }
    let deleted = txn.snapshot().delete_set;
    for (client, ranges) in update.delete_set().iter() {
        let known: Vec<std::ops::Range<u32>> = deleted
            .iter()
            .find(|(c, _)| *c == client)
            .map(|(_, r)| r.iter().cloned().collect())
            .unwrap_or_default();
        if ranges.iter().any(|r| !covered(&known, r)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether sorted `ranges` (adjacent ones not necessarily merged) cover
/// all of `wanted`.
fn covered(ranges: &[std::ops::Range<u32>], wanted: &std::ops::Range<u32>) -> bool {
    let mut reach = wanted.start;
    for r in ranges {
        if r.start > reach {
            break;
        }
        reach = reach.max(r.end);
        if reach >= wanted.end {
            return true;
        }
    }
    reach >= wanted.end
}

pub fn text(doc: &Doc) -> String {
    let code = doc.get_or_insert_text(CODE);
    code.get_string(&doc.transact())
}

/// Length of the code in UTF-16 code units; cheap (no string is built).
pub fn text_len(doc: &Doc) -> u32 {
    let code = doc.get_or_insert_text(CODE);
    code.len(&doc.transact())
}

pub fn language(doc: &Doc) -> Option<String> {
    let meta = doc.get_or_insert_map(META);
    let txn = doc.transact();
    meta.get(&txn, LANGUAGE).map(|v| v.to_string(&txn))
}

pub fn set_language(doc: &Doc, language: &str) -> Vec<u8> {
    let meta = doc.get_or_insert_map(META);
    let mut txn = doc.transact_mut();
    meta.insert(&mut txn, LANGUAGE, language);
    txn.encode_update_v1()
}

/// Bytes of updates waiting for missing dependencies (0 when none).
pub fn pending_len(doc: &Doc) -> usize {
    let txn = doc.transact();
    if !txn.has_missing_updates() {
        return 0;
    }
    let store = txn.store();
    let blocks = store
        .pending_update()
        .map_or(0, |p| p.update.encode_v1().len());
    let deletes = store.pending_ds().map_or(0, |ds| ds.encode_v1().len());
    blocks + deletes
}

/// Whether yrs can encode the document's parked updates back. yrs 0.28
/// encodes some parked states into bytes it cannot decode (fuzzing found
/// one: a block far ahead of its client's clock, then one missing its
/// origin), and `encode_state_as_update_v1` unwraps that decode: a room
/// holding such a state would panic on every sync step 1 and on
/// compaction. Runs the same merge on the parked bytes alone, only when
/// something is parked.
pub fn pending_is_sound(doc: &Doc) -> bool {
    let txn = doc.transact();
    if !txn.has_missing_updates() {
        return true;
    }
    let store = txn.store();
    let mut parts = vec![Update::new().encode_v1()];
    if let Some(pending) = store.pending_update() {
        parts.push(pending.update.encode_v1());
    }
    if let Some(ds) = store.pending_ds() {
        // An update of no blocks (count 0) and that delete set.
        let mut only_deletes = vec![0];
        only_deletes.extend(ds.encode_v1());
        parts.push(only_deletes);
    }
    yrs::merge_updates_v1(parts.iter().map(Vec::as_slice)).is_ok()
}

/// `doc`, or, when its parked updates cannot be encoded back (see
/// [`pending_is_sound`]), the document without them.
pub fn settled(doc: Doc) -> Doc {
    if pending_is_sound(&doc) {
        doc
    } else {
        without_pending(&doc)
    }
}

/// The document without what is still pending: its integrated blocks and
/// delete set, in a fresh document (yrs cannot drop pending updates in
/// place).
pub fn without_pending(doc: &Doc) -> Doc {
    let integrated = doc.transact().encode_diff_v1(&StateVector::default());
    let fresh = new_doc();
    // The integrated state of a live document always applies.
    let _ = apply_update(&fresh, &integrated);
    fresh
}

pub fn full_state(doc: &Doc) -> Vec<u8> {
    doc.transact()
        .encode_state_as_update_v1(&StateVector::default())
}

/// One update that does what `updates` do applied in order: a room
/// writes what a flush carries as one log row, not a row per keystroke.
pub fn merge<'a>(updates: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>, DocError> {
    yrs::merge_updates_v1(updates).map_err(|e| DocError::Malformed(e.to_string()))
}

/// Builds a document from stored updates (snapshot first, then the log).
pub fn from_updates<'a>(updates: impl IntoIterator<Item = &'a [u8]>) -> Result<Doc, DocError> {
    let doc = new_doc();
    for update in updates {
        apply_update(&doc, update)?;
    }
    Ok(settled(doc))
}

/// What compaction writes: one merged update and the text it spells.
pub struct Compacted {
    pub state: Vec<u8>,
    pub text: String,
    pub language: Option<String>,
}

pub fn compact<'a>(updates: impl IntoIterator<Item = &'a [u8]>) -> Result<Compacted, DocError> {
    let doc = from_updates(updates)?;
    Ok(Compacted {
        state: full_state(&doc),
        text: text(&doc),
        language: language(&doc),
    })
}

/// Converts a UTF-16 offset into a byte offset of `s`, clamped to its end.
pub fn utf16_to_byte(s: &str, utf16: usize) -> usize {
    let mut units = 0;
    for (i, c) in s.char_indices() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16();
    }
    s.len()
}

pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_offsets_match_browsers() {
        let doc = new_doc();
        let code = doc.get_or_insert_text(CODE);
        {
            let mut txn = doc.transact_mut();
            code.insert(&mut txn, 0, "héllo 🙂 wörld");
        }
        assert_eq!(text_len(&doc), 14);
        {
            let mut txn = doc.transact_mut();
            // After the emoji (UTF-16 offset 8), as a browser would say.
            code.insert(&mut txn, 8, "!");
        }
        assert_eq!(text(&doc), "héllo 🙂! wörld");
        assert_eq!(utf16_to_byte("héllo 🙂 wörld", 8), "héllo 🙂".len());
    }

    #[test]
    fn initial_state_round_trips_and_duplicates_change_nothing() {
        let state = initial_state("# hi\n", "python");
        let doc = from_updates([state.as_slice()]).unwrap();
        assert_eq!(text(&doc), "# hi\n");
        assert_eq!(language(&doc).as_deref(), Some("python"));
        assert!(apply_update(&doc, &state).unwrap().is_none());
        assert!(apply_update(&doc, b"\xff\xff garbage").is_err());
        assert_eq!(text(&doc), "# hi\n");
    }

    #[test]
    fn a_parked_state_yrs_cannot_encode_back_is_settled_away() {
        // Found by the yjs_frame fuzz target: before `settled`, the stored
        // log holding this update panicked every full encode (sync step 1
        // answers, compaction) inside yrs.
        let update = [1, 1, 9, 253, 255, 1, 114, 2, 97, 1, 1, 114, 2, 97, 98, 0];
        let base = initial_state("# hi\n", "python");
        let doc = from_updates([base.as_slice()]).unwrap();
        let _ = apply_update(&doc, &update);
        assert!(!pending_is_sound(&doc));
        let doc = settled(doc);
        assert!(pending_is_sound(&doc));
        assert_eq!(text(&doc), "# hi\n");
        let state = full_state(&doc);
        // Loading and compacting the log holding it no longer panics.
        let loaded = from_updates([base.as_slice(), &update]).unwrap();
        assert_eq!(text(&loaded), "# hi\n");
        let compacted = compact([base.as_slice(), &update]).unwrap();
        assert_eq!(compacted.state, state);
    }

    #[test]
    fn pending_updates_are_measured_and_can_be_dropped() {
        let a = new_doc();
        let ta = a.get_or_insert_text(CODE);
        let first = {
            let mut txn = a.transact_mut();
            ta.insert(&mut txn, 0, "abc");
            txn.encode_update_v1()
        };
        let second = {
            let mut txn = a.transact_mut();
            ta.insert(&mut txn, 3, &"x".repeat(1000));
            txn.encode_update_v1()
        };
        let main = from_updates([initial_state("# hi\n", "python").as_slice()]).unwrap();
        assert_eq!(pending_len(&main), 0);
        assert!(apply_update(&main, &second).unwrap().is_none());
        assert!(pending_len(&main) > 1000);
        let clean = without_pending(&main);
        assert_eq!(pending_len(&clean), 0);
        assert_eq!(text(&clean), "# hi\n");
        // The dropped part can come again, with its dependency.
        apply_update(&clean, &first).unwrap();
        apply_update(&clean, &second).unwrap();
        assert!(text(&clean).contains(&format!("abc{}", "x".repeat(1000))));
    }

    /// A client holding the document's state, with its own edits.
    fn replica(main: &Doc) -> Doc {
        let copy = new_doc();
        apply_update(&copy, &full_state(main)).unwrap();
        copy
    }

    fn diff(from: &Doc, to: &Doc) -> Vec<u8> {
        from.transact()
            .encode_state_as_update_v1(&to.transact().state_vector())
    }

    #[test]
    fn a_replica_repeating_what_it_was_sent_carries_no_news() {
        let main = from_updates([initial_state("hello world\n", "python").as_slice()]).unwrap();
        let code = main.get_or_insert_text(CODE);
        {
            let mut txn = main.transact_mut();
            code.remove_range(&mut txn, 0, 6);
            code.insert(&mut txn, 0, "HELLO ");
            code.remove_range(&mut txn, 2, 1);
        }
        let viewer = replica(&main);
        // What a provider answers the server's sync step 1 with.
        let step2 = diff(&viewer, &main);
        assert!(!carries_news(&main, &step2).unwrap());
        assert!(!carries_news(&main, &full_state(&viewer)).unwrap());
        assert!(!carries_news(&new_doc(), &[0, 0]).unwrap());

        let insert = {
            let text = viewer.get_or_insert_text(CODE);
            let mut txn = viewer.transact_mut();
            text.insert(&mut txn, 0, "x");
            txn.encode_update_v1()
        };
        assert!(carries_news(&main, &insert).unwrap());
        let delete = {
            let other = replica(&main);
            let text = other.get_or_insert_text(CODE);
            let mut txn = other.transact_mut();
            text.remove_range(&mut txn, 3, 2);
            txn.encode_update_v1()
        };
        assert!(carries_news(&main, &delete).unwrap());
        assert!(carries_news(&main, &set_language(&replica(&main), "rust")).unwrap());
        // Once the room has it, the same bytes are old news.
        apply_update(&main, &delete).unwrap();
        assert!(!carries_news(&main, &delete).unwrap());
        assert!(carries_news(&main, b"\xff garbage").is_err());
    }

    #[test]
    fn ranges_cover_across_adjacent_pieces() {
        assert!(covered(&[0..2, 2..5], &(1..4)));
        assert!(!covered(&[0..2, 3..5], &(1..4)));
        assert!(!covered(&[], &(0..1)));
        assert!(covered(&[0..4, 4..10], &(3..3)));
    }

    #[test]
    fn compaction_keeps_text_and_language() {
        let state = initial_state("x", "python");
        let doc = from_updates([state.as_slice()]).unwrap();
        let lang = set_language(&doc, "rust");
        let merged = compact([state.as_slice(), lang.as_slice()]).unwrap();
        assert_eq!(merged.text, "x");
        assert_eq!(merged.language.as_deref(), Some("rust"));
    }

    #[test]
    fn effective_update_includes_a_delete_that_arrived_before_its_insert() {
        let a = new_doc();
        let ta = a.get_or_insert_text(CODE);
        let insert = {
            let mut txn = a.transact_mut();
            ta.insert(&mut txn, 0, "abc");
            txn.encode_update_v1()
        };
        let delete = {
            let mut txn = a.transact_mut();
            ta.remove_range(&mut txn, 1, 1);
            txn.encode_update_v1()
        };
        let main = new_doc();
        assert!(apply_update(&main, &delete).unwrap().is_none());
        let effective = apply_update(&main, &insert).unwrap().unwrap();
        assert_eq!(text(&main), "ac");
        let follower = new_doc();
        apply_update(&follower, &effective).unwrap();
        assert_eq!(text(&follower), "ac");
    }

    #[test]
    fn effective_update_includes_an_insert_that_waited_for_its_dependency() {
        let a = new_doc();
        let ta = a.get_or_insert_text(CODE);
        let first = {
            let mut txn = a.transact_mut();
            ta.insert(&mut txn, 0, "abc");
            txn.encode_update_v1()
        };
        let b = new_doc();
        apply_update(&b, &first).unwrap();
        let tb = b.get_or_insert_text(CODE);
        let second = {
            let mut txn = b.transact_mut();
            tb.insert(&mut txn, 3, "XY");
            txn.encode_update_v1()
        };
        let main = new_doc();
        assert!(apply_update(&main, &second).unwrap().is_none());
        let effective = apply_update(&main, &first).unwrap().unwrap();
        assert_eq!(text(&main), "abcXY");
        let follower = new_doc();
        apply_update(&follower, &effective).unwrap();
        assert_eq!(text(&follower), "abcXY");
    }

    #[test]
    fn an_update_ahead_of_its_clients_clock_is_returned_whole() {
        // Found by fuzzing: yrs integrates it behind a skip, but its own
        // transaction update left it out, so followers never saw it.
        let base = initial_state("# hi\n", "python");
        let a = from_updates([base.as_slice()]).unwrap();
        let code = a.get_or_insert_text(CODE);
        let _first = {
            let mut txn = a.transact_mut();
            code.insert(&mut txn, 0, "abc");
            txn.encode_update_v1()
        };
        let ahead = {
            let mut txn = a.transact_mut();
            code.insert(&mut txn, 7, "!");
            txn.encode_update_v1()
        };
        let main = from_updates([base.as_slice()]).unwrap();
        let effective = apply_update(&main, &ahead).unwrap().unwrap();
        let follower = from_updates([base.as_slice()]).unwrap();
        apply_update(&follower, &effective).unwrap();
        assert_eq!(text(&main), "# hi!\n");
        assert_eq!(text(&follower), text(&main));
    }
}
