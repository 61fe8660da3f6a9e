//! Differential synchronisation for JSON clients.
//!
//! A JSON client only ever sends its whole text. To merge rather than
//! overwrite, each JSON connection keeps a *fork*: a private `yrs::Doc`
//! following what was sent to that client. The client's new text is diffed
//! against the text it was based on, the diff is applied to the fork as
//! CRDT operations, and the resulting update merges into the room like any
//! Yjs client's, so concurrent edits by others survive.
//!
//! Messages cross: when a client types, it may not have read the latest
//! texts sent to it. Those are queued as versions, and an incoming text is
//! diffed against the one it is closest to (the one it was most likely
//! based on). The fork may hold more than that base (the client's own
//! earlier edits, which a stale message lacks), so the client's changes are
//! mapped from the base's positions onto the fork's text: an insertion
//! lands where it was made, a deletion removes only what the base and the
//! fork share. A stale message therefore never removes what its sender had
//! not seen.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use dissimilar::Chunk;
use yrs::{Doc, GetString, ReadTxn, Text, Transact};

use crate::doc;

use super::diff;

/// What bounds one JSON client's shadow.
#[derive(Debug, Clone, Copy)]
pub struct ShadowLimits {
    /// Bytes of queued texts kept per client before the oldest versions
    /// are folded into the fork (a client that far behind has its next
    /// edit applied as insertions only).
    pub max_bytes: usize,
    /// Cost budget of one diff (see [`diff`]).
    pub merge_budget: u64,
}

/// The edit could not be turned into operations; nothing was changed in
/// the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EditRefused;

struct Version {
    text: Arc<str>,
    update: Bytes,
    /// The room's version number sent with this text.
    number: u64,
}

pub struct JsonShadow {
    fork: Doc,
    /// The text the client is known to hold: the last version it must have
    /// read, or the last text it sent.
    known: String,
    /// The version number `known` derives from (what the client would
    /// quote as its `baseVersion`).
    known_number: u64,
    versions: VecDeque<Version>,
    /// Bytes held by `versions` (texts and updates).
    versions_bytes: usize,
    limits: ShadowLimits,
}

/// One change of the client's, in UTF-16 positions.
enum Op<'a> {
    Delete { at: u32, len: u32 },
    Insert { at: u32, text: &'a str },
}

impl JsonShadow {
    /// A fork of `main` as it is now; the client is sent this text in `init`.
    pub fn fork(main: &Doc, number: u64, limits: ShadowLimits) -> Self {
        let fork = doc::new_doc();
        // The full state of a valid live document always applies.
        let _ = doc::apply_update(&fork, &doc::full_state(main));
        let known = doc::text(&fork);
        Self {
            fork,
            known,
            known_number: number,
            versions: VecDeque::new(),
            versions_bytes: 0,
            limits,
        }
    }

    pub fn text(&self) -> &str {
        &self.known
    }

    /// Records that `text` (reached by `update`), numbered `number`, was
    /// sent to the client.
    pub fn push(&mut self, text: Arc<str>, update: Bytes, number: u64) {
        self.versions_bytes += text.len() + update.len();
        while self.versions_bytes > self.limits.max_bytes && !self.versions.is_empty() {
            self.advance(1);
        }
        self.versions.push_back(Version {
            text,
            update,
            number,
        });
    }

    /// Records that `main`'s text was sent to the client (after merging its
    /// edit with others'), as one more version.
    pub fn push_main(&mut self, main: &Doc, text: Arc<str>, number: u64) {
        let sv = self.fork.transact().state_vector();
        let missing = main.transact().encode_state_as_update_v1(&sv);
        self.push(text, Bytes::from(missing), number);
    }

    /// Turns the client's full text into CRDT operations against the
    /// version it was based on; returns the update for the room, `None`
    /// when the client changed nothing, or an error (and no change) when
    /// the fork cannot take the edit, e.g. around a lone surrogate some
    /// client wrote.
    ///
    /// `base_version` is the version number of the last message the client
    /// applied, when it says so; then the base is exact. Without it (the
    /// prototype's clients) the closest text is taken.
    pub fn edit_to(
        &mut self,
        new_text: &str,
        base_version: Option<u64>,
    ) -> Result<Option<Vec<u8>>, EditRefused> {
        let exact = base_version.and_then(|v| self.version_index(v));
        // A client quoting a version older than any kept is too far behind
        // to tell what it meant to delete: keep only its insertions, so it
        // never removes what it has not seen (it sees its text next).
        let too_old = base_version.is_some_and(|v| v < self.known_number) && exact.is_none();
        if too_old {
            tracing::debug!(
                ?base_version,
                known = self.known_number,
                "client is more versions behind than kept; applying insertions only"
            );
        }
        let base = exact.unwrap_or_else(|| self.closest_version(new_text));
        self.advance(base);
        if self.known == new_text {
            return Ok(None);
        }
        let code = self.fork.get_or_insert_text(doc::CODE);
        let mut txn = self.fork.transact_mut();
        let current = code.get_string(&txn);
        // Only when the yrs length agrees with the string's can no
        // position fall off the text.
        if code.len(&txn) as usize != doc::utf16_len(&current) {
            return Err(EditRefused);
        }
        let mut ops = map_ops(&self.known, new_text, &current, self.limits.merge_budget);
        if too_old {
            ops.retain(|op| matches!(op, Op::Insert { .. }));
        }
        // Apply from the end, so earlier positions stay valid; at one
        // position, delete before inserting.
        ops.sort_by_key(|op| match op {
            Op::Delete { at, .. } => (std::cmp::Reverse(*at), 0),
            Op::Insert { at, .. } => (std::cmp::Reverse(*at), 1),
        });
        let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for op in &ops {
                match op {
                    Op::Delete { at, len } => code.remove_range(&mut txn, *at, *len),
                    Op::Insert { at, text } => code.insert(&mut txn, *at, text),
                }
            }
            txn.encode_update_v1()
        }));
        match applied {
            Ok(update) => {
                self.known = new_text.to_owned();
                Ok(Some(update))
            }
            Err(_) => Err(EditRefused),
        }
    }

    /// How many queued versions to apply to reach the one numbered `number`
    /// (0 when it is what the client is already known to hold).
    fn version_index(&self, number: u64) -> Option<usize> {
        if number == self.known_number {
            return Some(0);
        }
        self.versions
            .iter()
            .position(|v| v.number == number)
            .map(|i| i + 1)
    }

    /// How many queued versions to apply so the base is the text the
    /// client most likely edited: the latest among the closest.
    fn closest_version(&self, new_text: &str) -> usize {
        if self.versions.is_empty() {
            return 0;
        }
        let candidates = std::iter::once(self.known.as_str())
            .chain(self.versions.iter().map(|v| &*v.text))
            .enumerate()
            .collect::<Vec<_>>();
        // Newest first; the cost is at least the length difference, so an
        // older candidate that cannot beat the best so far is skipped
        // without comparing it.
        let mut best = (usize::MAX, 0);
        for &(i, text) in candidates.iter().rev() {
            if text.len().abs_diff(new_text.len()) >= best.0 {
                continue;
            }
            let cost = edit_cost(text, new_text);
            if cost < best.0 {
                best = (cost, i);
            }
        }
        best.1
    }

    fn advance(&mut self, n: usize) {
        for version in self.versions.drain(..n.min(self.versions.len())) {
            self.versions_bytes = self
                .versions_bytes
                .saturating_sub(version.text.len() + version.update.len());
            let _ = doc::apply_update(&self.fork, &version.update);
            self.known = version.text.to_string();
            self.known_number = version.number;
        }
    }
}

/// Where `base` positions are in `current`: segments of the diff between
/// the two, in UTF-16 units.
struct PositionMap {
    /// (base start, base end, current start, shared): `shared` segments
    /// exist in both texts; the others only in `base` (already deleted).
    segments: Vec<(u32, u32, u32, bool)>,
}

impl PositionMap {
    /// Aligns the two texts line by line (each distinct line becomes one
    /// symbol, as diff-match-patch's line mode does), so a line typed
    /// elsewhere never lends its characters to a neighbour.
    fn new(base: &str, current: &str, budget: u64) -> Self {
        let base_lines = split_lines(base);
        let current_lines = split_lines(current);
        let mut table = HashMap::new();
        let b_enc = diff::encode(&base_lines, &mut table);
        let c_enc = diff::encode(&current_lines, &mut table);
        let (mut bi, mut ci) = (0usize, 0usize);
        let (mut b, mut c) = (0u32, 0u32);
        let mut segments = Vec::new();
        let width = |line: &str| doc::utf16_len(line) as u32;
        for chunk in diff::symbols(&b_enc, &c_enc, budget) {
            match chunk {
                Chunk::Equal(s) => {
                    for _ in s.chars() {
                        let n = width(base_lines[bi]);
                        segments.push((b, b + n, c, true));
                        b += n;
                        c += n;
                        bi += 1;
                        ci += 1;
                    }
                }
                Chunk::Delete(s) => {
                    for _ in s.chars() {
                        let n = width(base_lines[bi]);
                        segments.push((b, b + n, c, false));
                        b += n;
                        bi += 1;
                    }
                }
                Chunk::Insert(s) => {
                    for _ in s.chars() {
                        c += width(current_lines[ci]);
                        ci += 1;
                    }
                }
            }
        }
        segments.push((b, b, c, true));
        Self { segments }
    }

    /// The `current` position of a `base` position (for an insertion).
    fn point(&self, at: u32) -> u32 {
        for &(start, end, cur, shared) in &self.segments {
            if at < end || (at == end && start == end) {
                return if shared { cur + (at - start) } else { cur };
            }
        }
        self.segments.last().map_or(0, |s| s.2)
    }

    /// The `current` ranges of a `base` range that both texts still share.
    fn ranges(&self, from: u32, to: u32) -> Vec<(u32, u32)> {
        self.segments
            .iter()
            .filter(|&&(start, end, _, shared)| shared && start < to && from < end)
            .map(|&(start, end, cur, _)| {
                let a = from.max(start);
                let b = to.min(end);
                (cur + (a - start), b - a)
            })
            .collect()
    }
}

/// Lines with their terminating `\n` (the last may lack it).
fn split_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The client's changes from `base` to `new_text`, placed on `current`.
fn map_ops<'a>(base: &str, new_text: &'a str, current: &str, budget: u64) -> Vec<Op<'a>> {
    let map = (base != current).then(|| PositionMap::new(base, current, budget));
    let mut ops = Vec::new();
    let mut pos: u32 = 0;
    // Chunks borrow from `new_text` for insertions: diff yields slices of
    // its inputs, so take the inserted text from `new_text` by offset.
    let mut new_offset = 0usize;
    for chunk in diff::text(base, new_text, budget) {
        match chunk {
            Chunk::Equal(s) => {
                pos += doc::utf16_len(s) as u32;
                new_offset += s.len();
            }
            Chunk::Delete(s) => {
                let len = doc::utf16_len(s) as u32;
                match &map {
                    None => ops.push(Op::Delete { at: pos, len }),
                    Some(map) => ops.extend(
                        map.ranges(pos, pos + len)
                            .into_iter()
                            .map(|(at, len)| Op::Delete { at, len }),
                    ),
                }
                pos += len;
            }
            Chunk::Insert(s) => {
                let text = &new_text[new_offset..new_offset + s.len()];
                new_offset += s.len();
                let at = map.as_ref().map_or(pos, |m| m.point(pos));
                ops.push(Op::Insert { at, text });
            }
        }
    }
    ops
}

/// How unlikely it is that a client turned `from` into `to`: what lies
/// between the common prefix and suffix, deletions weighing more than
/// insertions (people mostly type; and when texts look alike, the base
/// that explains the message without deleting is the one it was typed on,
/// which is also the choice that never removes what the client never saw).
fn edit_cost(from: &str, to: &str) -> usize {
    let (a, b) = (from.as_bytes(), to.as_bytes());
    let prefix = diff::common_len(a.len().min(b.len()), |n| a[..n] == b[..n]);
    let room = a.len().min(b.len()) - prefix;
    let suffix = diff::common_len(room, |n| a[a.len() - n..] == b[b.len() - n..]);
    let deleted = a.len() - prefix - suffix;
    let inserted = b.len() - prefix - suffix;
    inserted + DELETE_WEIGHT * deleted
}

const DELETE_WEIGHT: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const LIMITS: ShadowLimits = ShadowLimits {
        max_bytes: 1 << 20,
        merge_budget: 4_000_000,
    };

    #[test]
    fn edit_cost_counts_the_changed_middle() {
        assert_eq!(edit_cost("abc", "abc"), 0);
        assert_eq!(edit_cost("abc", "abXc"), 1);
        assert_eq!(edit_cost("abc", "ac"), DELETE_WEIGHT);
        assert_eq!(edit_cost("", "xyz"), 3);
        assert_eq!(edit_cost("aaaa", "aa"), 2 * DELETE_WEIGHT);
        assert_eq!(edit_cost("abcd", "xbcy"), 4 + 4 * DELETE_WEIGHT);
    }

    fn room(text: &str) -> Doc {
        doc::from_updates([doc::initial_state(text, "python").as_slice()]).unwrap()
    }

    /// Applies `update` to `main` and queues it for every other shadow,
    /// as the room does when it broadcasts.
    fn broadcast(main: &Doc, update: &[u8], others: &mut [&mut JsonShadow]) {
        let effective = doc::apply_update(main, update).unwrap().unwrap();
        let text: Arc<str> = doc::text(main).into();
        for shadow in others {
            shadow.push(text.clone(), Bytes::from(effective.clone()), 0);
        }
    }

    #[test]
    fn concurrent_full_texts_both_survive() {
        let main = room("line one\nline two\n");
        let mut a = JsonShadow::fork(&main, 0, LIMITS);
        let mut b = JsonShadow::fork(&main, 0, LIMITS);
        // Both edit from the same base, at the same moment.
        let ua = a.edit_to("line one A\nline two\n", None).unwrap().unwrap();
        let ub = b.edit_to("line one\nline two B\n", None).unwrap().unwrap();
        broadcast(&main, &ua, &mut [&mut b]);
        broadcast(&main, &ub, &mut [&mut a]);
        assert_eq!(doc::text(&main), "line one A\nline two B\n");
    }

    #[test]
    fn an_edit_based_on_an_older_version_does_not_undo_newer_ones() {
        let main = room("abc\n");
        let mut a = JsonShadow::fork(&main, 0, LIMITS);
        let mut b = JsonShadow::fork(&main, 0, LIMITS);
        let ub = b.edit_to("abc\nfrom b\n", None).unwrap().unwrap();
        broadcast(&main, &ub, &mut [&mut a]);
        // `a` had not seen b's line yet when it typed.
        let ua = a.edit_to("xabc\n", None).unwrap().unwrap();
        doc::apply_update(&main, &ua).unwrap();
        assert_eq!(doc::text(&main), "xabc\nfrom b\n");
    }

    #[test]
    fn unicode_edits_use_utf16_positions() {
        let main = room("héllo 🙂 wörld");
        let mut a = JsonShadow::fork(&main, 0, LIMITS);
        let ua = a.edit_to("héllo 🙂! wörld 🎉", None).unwrap().unwrap();
        doc::apply_update(&main, &ua).unwrap();
        assert_eq!(doc::text(&main), "héllo 🙂! wörld 🎉");
        assert!(a.edit_to("héllo 🙂! wörld 🎉", None).unwrap().is_none());
    }
}

#[cfg(test)]
mod random_tests {
    use super::tests::LIMITS;
    use super::*;
    use rand::Rng;
    use std::collections::VecDeque as Q;

    /// JSON clients whose messages cross at random, handled as the room
    /// actor does, each quoting the version it last applied: every token
    /// anyone typed survives, however stale the text it was typed on.
    #[test]
    fn crossing_messages_with_base_versions_lose_no_typed_token() {
        let mut rng = rand::rng();
        for _round in 0..100 {
            let main =
                doc::from_updates([doc::initial_state("start\n", "python").as_slice()]).unwrap();
            let n = 3;
            let mut room_version = 0u64;
            let mut shadows: Vec<JsonShadow> =
                (0..n).map(|_| JsonShadow::fork(&main, 0, LIMITS)).collect();
            let mut local: Vec<(String, u64)> = (0..n).map(|_| (doc::text(&main), 0)).collect();
            let mut inbox: Vec<Q<(String, u64)>> = (0..n).map(|_| Q::new()).collect();
            let mut typed = Vec::new();
            for step in 0..40 {
                let c = rng.random_range(0..n);
                if rng.random_bool(0.5) {
                    if let Some(message) = inbox[c].pop_front() {
                        local[c] = message;
                    }
                    continue;
                }
                let token = format!("t{c}x{step}🙂\n");
                let starts: Vec<usize> = std::iter::once(0)
                    .chain(local[c].0.match_indices('\n').map(|(i, _)| i + 1))
                    .collect();
                let at = starts[rng.random_range(0..starts.len())];
                local[c].0.insert_str(at, &token);
                typed.push(token);
                let (sent, base) = local[c].clone();
                if let Ok(Some(update)) = shadows[c].edit_to(&sent, Some(base))
                    && let Ok(Some(eff)) = doc::apply_update(&main, &update)
                {
                    room_version += 1;
                    let text: Arc<str> = doc::text(&main).into();
                    for o in (0..n).filter(|&o| o != c) {
                        shadows[o].push(text.clone(), Bytes::from(eff.clone()), room_version);
                        inbox[o].push_back((text.to_string(), room_version));
                    }
                }
                let merged = doc::text(&main);
                if merged != sent {
                    shadows[c].push_main(&main, merged.clone().into(), room_version);
                    inbox[c].push_back((merged, room_version));
                }
            }
            let text = doc::text(&main);
            for token in &typed {
                assert!(
                    text.contains(token.as_str()),
                    "{token:?} lost from {text:?}"
                );
            }
        }
    }
}
