//! How a simulated person types: every edit inserts a unique marker framed
//! by a few letters at the client's own cursor, and sometimes first deletes
//! (backspaces) the last letter of its own previous insertion. A client only
//! ever deletes letters it typed itself, so markers are never damaged and
//! every edit stays identifiable at every receiver.
//!
//! An insertion is `L #c1e2; F` where `L` is one letter and `F` one to three
//! letters. `L` and the last letter of `F` are chosen to differ from the
//! characters around the cursor, so a server that diffs full texts (the JSON
//! protocol) finds exactly this insertion and cannot slide it into a
//! neighbour's marker.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::marker::Marker;

/// One simulated keystroke burst.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub marker: Marker,
    /// Delete the character just before the cursor first (always a filler
    /// letter of this client's previous insertion).
    pub backspace: bool,
    /// The inserted text: lead letter, marker, filler letters.
    pub text: String,
    /// Length of the marker inside `text` (it starts at byte 1).
    pub marker_len: usize,
}

impl Edit {
    pub fn marker_text(&self) -> &str {
        &self.text[1..1 + self.marker_len]
    }
    /// Letters after the marker.
    pub fn filler_len(&self) -> usize {
        self.text.len() - 1 - self.marker_len
    }
}

/// Generates a client's edits.
pub struct Typist {
    client: u32,
    seq: u32,
    rng: SmallRng,
    /// Last letter of the previous insertion, still present: what a
    /// backspace would delete.
    deletable: Option<u8>,
    backspace_ratio: f64,
}

impl Typist {
    pub fn new(client: u32, seed: u64) -> Self {
        Self {
            client,
            seq: 0,
            rng: SmallRng::seed_from_u64(
                seed ^ u64::from(client).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            ),
            deletable: None,
            backspace_ratio: 0.25,
        }
    }

    /// Next edit. `prev` and `next` are the characters around the cursor
    /// (bytes; `None` at the text's ends); they only steer the guard letters.
    pub fn next_edit(&mut self, prev: Option<u8>, next: Option<u8>) -> Edit {
        let marker = Marker::new(self.client, self.seq);
        self.seq += 1;
        let backspace = self.deletable.is_some() && self.rng.random_bool(self.backspace_ratio);
        let deleted = if backspace { self.deletable } else { None };
        // After a backspace the character before the insertion is whatever
        // preceded the deleted letter; it is never the deleted letter's
        // replacement, so guard against both.
        let prev = if backspace { None } else { prev };

        let mut text = String::with_capacity(32);
        let lead = self.letter(&[next, deleted]);
        text.push(lead as char);
        marker.write_to(&mut text);
        let marker_len = text.len() - 1;
        let filler = self.rng.random_range(1..=3);
        for _ in 1..filler {
            let c = self.letter(&[]);
            text.push(c as char);
        }
        let trail = self.letter(&[prev, deleted]);
        text.push(trail as char);
        self.deletable = Some(trail);
        Edit {
            marker,
            backspace,
            text,
            marker_len,
        }
    }

    pub fn edits_made(&self) -> u32 {
        self.seq
    }

    /// A random lowercase letter different from every `avoid` byte.
    fn letter(&mut self, avoid: &[Option<u8>]) -> u8 {
        loop {
            let c = b'a' + self.rng.random_range(0..26u8);
            if !avoid.contains(&Some(c)) {
                return c;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marker;

    #[test]
    fn edits_carry_increasing_markers_and_guards() {
        let mut t = Typist::new(7, 1);
        for i in 0..200 {
            let e = t.next_edit(Some(b'a'), Some(b'#'));
            assert_eq!(e.marker, Marker::new(7, i));
            assert_eq!(marker::all_in(&e.text), vec![e.marker]);
            assert_eq!(e.marker_text(), e.marker.to_text());
            assert!((1..=3).contains(&e.filler_len()));
            assert_ne!(e.text.as_bytes()[0], b'#');
            if !e.backspace {
                assert_ne!(*e.text.as_bytes().last().unwrap_or(&0), b'a');
            }
        }
    }

    #[test]
    fn first_edit_never_backspaces_and_some_later_do() {
        let mut t = Typist::new(1, 2);
        assert!(!t.next_edit(None, None).backspace);
        let n = (0..400)
            .filter(|_| t.next_edit(None, None).backspace)
            .count();
        assert!(n > 50 && n < 200, "{n}");
    }
}
