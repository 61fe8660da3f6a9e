//! Edit markers: the unique ASCII token every simulated edit carries, so a
//! receiver can tell which edit (sender, sequence number) just reached it.
//!
//! Format: `#c{client}e{seq};`, e.g. `#c12e345;`. Only ASCII, so byte and
//! UTF-16 offsets agree inside a marker.

use std::fmt::Write as _;

/// Identifies one edit: the global id of the client that typed it and the
/// per-client sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Marker {
    pub client: u32,
    pub seq: u32,
}

impl Marker {
    pub fn new(client: u32, seq: u32) -> Self {
        Self { client, seq }
    }

    /// A single integer key, handy for sets.
    pub fn key(self) -> u64 {
        (u64::from(self.client) << 32) | u64::from(self.seq)
    }

    /// Appends the marker's text to `out` (no allocation when `out` has room).
    pub fn write_to(self, out: &mut String) {
        // Writing to a String cannot fail.
        let _ = write!(out, "#c{}e{};", self.client, self.seq);
    }

    pub fn to_text(self) -> String {
        let mut s = String::with_capacity(24);
        self.write_to(&mut s);
        s
    }
}

/// Longest marker text: `#c` + 10 digits + `e` + 10 digits + `;`.
pub const MAX_MARKER_LEN: usize = 24;

/// Calls `found` for every well-formed marker in `text`, in order.
pub fn scan(text: &str, mut found: impl FnMut(Marker)) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'#' {
            i += 1;
            continue;
        }
        match parse_at(bytes, i) {
            Some((marker, end)) => {
                found(marker);
                i = end;
            }
            None => i += 1,
        }
    }
}

/// Collects every marker of `text` (test and end-of-run helper).
pub fn all_in(text: &str) -> Vec<Marker> {
    let mut v = Vec::new();
    scan(text, |m| v.push(m));
    v
}

/// Parses a marker starting at `bytes[start] == b'#'`; returns it and the
/// index just past its `;`.
fn parse_at(bytes: &[u8], start: usize) -> Option<(Marker, usize)> {
    let mut i = start + 1;
    if bytes.get(i) != Some(&b'c') {
        return None;
    }
    i += 1;
    let (client, next) = parse_u32(bytes, i)?;
    i = next;
    if bytes.get(i) != Some(&b'e') {
        return None;
    }
    let (seq, next) = parse_u32(bytes, i + 1)?;
    if bytes.get(next) != Some(&b';') {
        return None;
    }
    Some((Marker::new(client, seq), next + 1))
}

fn parse_u32(bytes: &[u8], start: usize) -> Option<(u32, usize)> {
    let mut i = start;
    let mut value: u64 = 0;
    while let Some(d) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
        value = value * 10 + u64::from(d - b'0');
        if value > u64::from(u32::MAX) {
            return None;
        }
        i += 1;
    }
    if i == start {
        return None;
    }
    Some((value as u32, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        let m = Marker::new(12, 345);
        assert_eq!(m.to_text(), "#c12e345;");
        assert_eq!(all_in(&format!("xx{}yy", m.to_text())), vec![m]);
    }

    #[test]
    fn finds_adjacent_markers_and_skips_garbage() {
        let text = "# Welcome #c1e2;ab#c3e4;#c#e1;#c5e;#c6e7q#c8e9;";
        assert_eq!(
            all_in(text),
            vec![Marker::new(1, 2), Marker::new(3, 4), Marker::new(8, 9)]
        );
    }

    #[test]
    fn rejects_overflowing_numbers() {
        assert!(all_in("#c99999999999e1;").is_empty());
        let max = Marker::new(u32::MAX, u32::MAX).to_text();
        assert!(max.len() <= MAX_MARKER_LEN);
        assert_eq!(all_in(&max).len(), 1);
    }

    #[test]
    fn keys_are_distinct() {
        assert_ne!(Marker::new(1, 2).key(), Marker::new(2, 1).key());
    }
}
