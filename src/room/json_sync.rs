//! Differential synchronisation for JSON clients.
//!
//! A JSON client only ever sends its whole text. To merge rather than
//! overwrite, each JSON connection keeps a *fork*: a private `yrs::Doc`
//! holding the document exactly as that client last saw it. The client's
//! new text is diffed against the fork, the diff is applied to the fork as
//! CRDT operations, and the resulting update merges into the room like any
//! Yjs client's, so concurrent edits by others survive.
//!
//! Texts sent to the client that it may not have seen yet when it typed
//! are queued as versions; an incoming text is diffed against the version
//! it is closest to (the one it was most likely based on).

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use yrs::{Doc, GetString, ReadTxn, Text, Transact};

use crate::doc;

/// Versions kept per client before the oldest is folded into the fork.
const MAX_VERSIONS: usize = 16;

/// The edit could not be turned into operations; nothing was changed in
/// the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EditRefused;

struct Version {
    text: Arc<str>,
    update: Bytes,
}

pub struct JsonShadow {
    fork: Doc,
    fork_text: String,
    versions: VecDeque<Version>,
}

impl JsonShadow {
    /// A fork of `main` as it is now; the client is sent this text in `init`.
    pub fn fork(main: &Doc) -> Self {
        let fork = doc::new_doc();
        // The full state of a valid live document always applies.
        let _ = doc::apply_update(&fork, &doc::full_state(main));
        let fork_text = doc::text(&fork);
        Self {
            fork,
            fork_text,
            versions: VecDeque::new(),
        }
    }

    pub fn text(&self) -> &str {
        &self.fork_text
    }

    /// Records that `text` (reached by `update`) was sent to the client.
    pub fn push(&mut self, text: Arc<str>, update: Bytes) {
        if self.versions.len() == MAX_VERSIONS {
            self.advance(1);
        }
        self.versions.push_back(Version { text, update });
    }

    /// Brings the fork level with `main` and forgets the queued versions:
    /// the client has just been sent `main`'s text.
    pub fn sync_to(&mut self, main: &Doc) {
        self.versions.clear();
        let sv = self.fork.transact().state_vector();
        let missing = main.transact().encode_state_as_update_v1(&sv);
        let _ = doc::apply_update(&self.fork, &missing);
        self.fork_text = doc::text(&self.fork);
    }

    /// Turns the client's full text into CRDT operations against the
    /// version it was based on; returns the update for the room, `None`
    /// when the client changed nothing, or an error (and no change) when
    /// the fork cannot take the edit, e.g. around a lone surrogate some
    /// client wrote.
    pub fn edit_to(&mut self, new_text: &str) -> Result<Option<Vec<u8>>, EditRefused> {
        let base = self.closest_version(new_text);
        self.advance(base);
        if self.fork_text == new_text {
            return Ok(None);
        }
        let code = self.fork.get_or_insert_text(doc::CODE);
        let mut txn = self.fork.transact_mut();
        // Diff against what the fork really holds, and only when its length
        // agrees with the string's, so no position can fall off the text.
        let current = code.get_string(&txn);
        if code.len(&txn) as usize != doc::utf16_len(&current) {
            return Err(EditRefused);
        }
        let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut pos: u32 = 0;
            for chunk in dissimilar::diff(&current, new_text) {
                match chunk {
                    dissimilar::Chunk::Equal(s) => pos += doc::utf16_len(s) as u32,
                    dissimilar::Chunk::Delete(s) => {
                        code.remove_range(&mut txn, pos, doc::utf16_len(s) as u32);
                    }
                    dissimilar::Chunk::Insert(s) => {
                        code.insert(&mut txn, pos, s);
                        pos += doc::utf16_len(s) as u32;
                    }
                }
            }
            txn.encode_update_v1()
        }));
        match applied {
            Ok(update) => {
                self.fork_text = new_text.to_owned();
                Ok(Some(update))
            }
            Err(_) => Err(EditRefused),
        }
    }

    /// How many queued versions to apply so the fork matches the text the
    /// client most likely edited: the latest among the closest.
    fn closest_version(&self, new_text: &str) -> usize {
        if self.versions.is_empty() {
            return 0;
        }
        let candidates = std::iter::once(self.fork_text.as_str())
            .chain(self.versions.iter().map(|v| &*v.text))
            .enumerate();
        let mut best = (usize::MAX, 0);
        for (i, text) in candidates {
            let cost = edit_cost(text, new_text);
            if cost <= best.0 {
                best = (cost, i);
            }
        }
        best.1
    }

    fn advance(&mut self, n: usize) {
        for version in self.versions.drain(..n.min(self.versions.len())) {
            let _ = doc::apply_update(&self.fork, &version.update);
            self.fork_text = version.text.to_string();
        }
    }
}

/// A cheap upper bound of the edit distance: everything between the
/// common prefix and the common suffix. Exact for a single contiguous
/// edit, which is what a client sends between two messages.
fn edit_cost(from: &str, to: &str) -> usize {
    if from == to {
        return 0;
    }
    let (a, b) = (from.as_bytes(), to.as_bytes());
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let max_suffix = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    (a.len() - prefix - suffix) + (b.len() - prefix - suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(text: &str) -> Doc {
        doc::from_updates([doc::initial_state(text, "python").as_slice()]).unwrap()
    }

    /// Applies `update` to `main` and queues it for every other shadow,
    /// as the room does when it broadcasts.
    fn broadcast(main: &Doc, update: &[u8], others: &mut [&mut JsonShadow]) {
        let effective = doc::apply_update(main, update).unwrap().unwrap();
        let text: Arc<str> = doc::text(main).into();
        for shadow in others {
            shadow.push(text.clone(), Bytes::from(effective.clone()));
        }
    }

    #[test]
    fn concurrent_full_texts_both_survive() {
        let main = room("line one\nline two\n");
        let mut a = JsonShadow::fork(&main);
        let mut b = JsonShadow::fork(&main);
        // Both edit from the same base, at the same moment.
        let ua = a.edit_to("line one A\nline two\n").unwrap().unwrap();
        let ub = b.edit_to("line one\nline two B\n").unwrap().unwrap();
        broadcast(&main, &ua, &mut [&mut b]);
        broadcast(&main, &ub, &mut [&mut a]);
        assert_eq!(doc::text(&main), "line one A\nline two B\n");
    }

    #[test]
    fn an_edit_based_on_an_older_version_does_not_undo_newer_ones() {
        let main = room("abc\n");
        let mut a = JsonShadow::fork(&main);
        let mut b = JsonShadow::fork(&main);
        let ub = b.edit_to("abc\nfrom b\n").unwrap().unwrap();
        broadcast(&main, &ub, &mut [&mut a]);
        // `a` had not seen b's line yet when it typed.
        let ua = a.edit_to("xabc\n").unwrap().unwrap();
        doc::apply_update(&main, &ua).unwrap();
        assert_eq!(doc::text(&main), "xabc\nfrom b\n");
    }

    #[test]
    fn unicode_edits_use_utf16_positions() {
        let main = room("héllo 🙂 wörld");
        let mut a = JsonShadow::fork(&main);
        let ua = a.edit_to("héllo 🙂! wörld 🎉").unwrap().unwrap();
        doc::apply_update(&main, &ua).unwrap();
        assert_eq!(doc::text(&main), "héllo 🙂! wörld 🎉");
        assert!(a.edit_to("héllo 🙂! wörld 🎉").unwrap().is_none());
    }
}

#[cfg(test)]
mod random_tests {
    use super::*;
    use rand::Rng;
    use std::collections::VecDeque as Q;

    /// Mimics the room actor with JSON clients whose messages cross.
    #[test]
    fn random_crossing_edits_keep_forks_consistent() {
        let mut rng = rand::rng();
        for _round in 0..200 {
            let main =
                doc::from_updates([doc::initial_state("hello world\n", "python").as_slice()])
                    .unwrap();
            let n = 3;
            let mut shadows: Vec<JsonShadow> = (0..n).map(|_| JsonShadow::fork(&main)).collect();
            let mut local: Vec<String> = (0..n).map(|_| doc::text(&main)).collect();
            let mut inbox: Vec<Q<String>> = (0..n).map(|_| Q::new()).collect();
            for _step in 0..60 {
                let c = rng.random_range(0..n);
                if rng.random_bool(0.5) {
                    if let Some(t) = inbox[c].pop_front() {
                        local[c] = t;
                    }
                    continue;
                }
                let mut chars: Vec<char> = local[c].chars().collect();
                let pos = rng.random_range(0..=chars.len());
                if rng.random_bool(0.7) || chars.len() < 5 {
                    chars.insert(pos, '🙂');
                    chars.insert(pos, 'x');
                } else {
                    let end = (pos + 2).min(chars.len());
                    chars.drain(pos..end);
                }
                local[c] = chars.into_iter().collect();
                let sent = local[c].clone();
                if let Ok(Some(update)) = shadows[c].edit_to(&sent)
                    && let Ok(Some(eff)) = doc::apply_update(&main, &update)
                {
                    let text: Arc<str> = doc::text(&main).into();
                    for o in 0..n {
                        if o != c {
                            shadows[o].push(text.clone(), Bytes::from(eff.clone()));
                            inbox[o].push_back(text.to_string());
                        }
                    }
                }
                shadows[c].sync_to(&main);
                let merged = doc::text(&main);
                if merged != sent {
                    inbox[c].push_back(merged);
                }
                for s in &shadows {
                    assert_eq!(s.fork_text, doc::text(&s.fork));
                }
            }
        }
    }
}
