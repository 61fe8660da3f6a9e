//! A JSON-protocol client's view of the document (sans-IO).
//!
//! The server sends full texts and never echoes our own changes, so our
//! local text is "the last text received, with our edits that it does not
//! contain yet re-applied at our cursor". Which of our edits a received text
//! contains is told by our markers: the server applies a client's changes in
//! order, so if it contains edit `k` it contains every edit before `k`.

use std::collections::VecDeque;

use crate::typist::Edit;

pub struct JsonText {
    text: String,
    /// Byte offset of our cursor in `text`.
    cursor: usize,
    /// Edits sent but not yet seen in a received text, oldest first.
    pending: VecDeque<Edit>,
    /// Our newest edit seen in a received text.
    acked: Option<Edit>,
}

impl JsonText {
    /// Starts from the `init` text; the cursor is at its end.
    pub fn new(init: String) -> Self {
        let cursor = init.len();
        Self {
            text: init,
            cursor,
            pending: VecDeque::new(),
            acked: None,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn into_text(self) -> String {
        self.text
    }

    /// The characters around the cursor (for the typist's guard letters).
    pub fn around_cursor(&self) -> (Option<u8>, Option<u8>) {
        let b = self.text.as_bytes();
        let prev = self.cursor.checked_sub(1).map(|i| b[i]);
        (prev, b.get(self.cursor).copied())
    }

    /// The cursor in UTF-16 code units, as the protocol counts.
    pub fn cursor_utf16(&self) -> usize {
        let head = &self.text[..self.cursor];
        if head.is_ascii() {
            head.len()
        } else {
            head.encode_utf16().count()
        }
    }

    /// Applies our own edit locally; the caller then sends `text()`.
    pub fn apply_local(&mut self, edit: Edit) {
        let (text, cursor) = (&mut self.text, &mut self.cursor);
        apply_edit(text, cursor, &edit);
        self.pending.push_back(edit);
    }

    /// Takes a full text received from the server. `changed` is given the
    /// part of `received` that differs from the previous local text (widened
    /// by `context` bytes), where new markers can be.
    pub fn receive(&mut self, received: String, context: usize, changed: impl FnOnce(&str)) {
        let range = widen(&received, changed_range(&self.text, &received), context);
        changed(&received[range]);
        // Which of our pending edits does the server's text already hold?
        if let Some(k) = self
            .pending
            .iter()
            .rposition(|e| received.contains(e.marker_text()))
        {
            self.acked = self.pending.drain(..=k).next_back();
        }
        let mut text = received;
        let mut cursor = match &self.acked {
            Some(e) => match text.find(e.marker_text()) {
                Some(at) => (at + e.marker_len + e.filler_len()).min(text.len()),
                None => text.len(),
            },
            None => self.initial_cursor(&text),
        };
        while !text.is_char_boundary(cursor) {
            cursor -= 1;
        }
        for e in &self.pending {
            apply_edit(&mut text, &mut cursor, e);
        }
        self.text = text;
        self.cursor = cursor;
    }

    /// Before any of our edits is acknowledged, we type at the end.
    fn initial_cursor(&self, text: &str) -> usize {
        text.len()
    }
}

fn apply_edit(text: &mut String, cursor: &mut usize, e: &Edit) {
    // The letter before the cursor is our own ASCII filler; should a rebase
    // have put the cursor elsewhere, skip the backspace rather than cut a
    // character in two.
    if e.backspace && *cursor > 0 && text.as_bytes()[*cursor - 1].is_ascii() {
        *cursor -= 1;
        text.remove(*cursor);
    }
    text.insert_str(*cursor, &e.text);
    *cursor += e.text.len();
}

/// The byte range of `new` not covered by the common prefix and suffix of
/// `old` and `new`, on character boundaries.
pub fn changed_range(old: &str, new: &str) -> std::ops::Range<usize> {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let max_suffix = a.len().min(b.len()) - start;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    let mut end = b.len() - suffix;
    while !new.is_char_boundary(start) {
        start -= 1;
    }
    while !new.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// `range` widened by `by` bytes on each side, clamped, on char boundaries.
pub fn widen(text: &str, range: std::ops::Range<usize>, by: usize) -> std::ops::Range<usize> {
    let mut start = range.start.saturating_sub(by);
    let mut end = (range.end + by).min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marker::Marker;
    use crate::typist::Typist;

    fn edit(client: u32, seq: u32, backspace: bool, filler: &str) -> Edit {
        let m = Marker::new(client, seq).to_text();
        Edit {
            marker: Marker::new(client, seq),
            backspace,
            text: format!("x{m}{filler}"),
            marker_len: m.len(),
        }
    }

    #[test]
    fn local_edits_type_at_the_cursor() {
        let mut j = JsonText::new("# hi\n".into());
        j.apply_local(edit(1, 0, false, "ab"));
        j.apply_local(edit(1, 1, true, "c"));
        assert_eq!(j.text(), "# hi\nx#c1e0;ax#c1e1;c");
        assert_eq!(j.cursor_utf16(), j.text().len());
    }

    #[test]
    fn received_text_with_our_edits_is_taken_as_is() {
        let mut j = JsonText::new("# hi\n".into());
        j.apply_local(edit(1, 0, false, "ab"));
        // Someone typed before our insertion; the server has ours too.
        j.receive("zz# hi\nx#c1e0;ab".into(), 0, |_| {});
        assert_eq!(j.text(), "zz# hi\nx#c1e0;ab");
        j.apply_local(edit(1, 1, false, "q"));
        assert_eq!(j.text(), "zz# hi\nx#c1e0;abx#c1e1;q");
    }

    #[test]
    fn pending_edits_are_reapplied_after_our_last_acked_one() {
        let mut j = JsonText::new("".into());
        j.apply_local(edit(1, 0, false, "ab"));
        j.receive("x#c1e0;abx#c2e0;k".into(), 0, |_| {});
        // Two edits in flight, the second deletes a letter of the first.
        j.apply_local(edit(1, 1, false, "cd"));
        j.apply_local(edit(1, 2, true, "e"));
        assert_eq!(j.text(), "x#c1e0;abx#c1e1;cx#c1e2;ex#c2e0;k");
        // The server's text has neither yet, but another client's edit.
        j.receive("x#c1e0;abx#c2e0;kx#c2e1;m".into(), 0, |_| {});
        assert_eq!(j.text(), "x#c1e0;abx#c1e1;cx#c1e2;ex#c2e0;kx#c2e1;m");
        // Now it has the first of them.
        j.receive("x#c1e0;abx#c1e1;cdx#c2e0;kx#c2e1;m".into(), 0, |_| {});
        assert_eq!(j.text(), "x#c1e0;abx#c1e1;cx#c1e2;ex#c2e0;kx#c2e1;m");
        // And both.
        j.receive(
            "x#c1e0;abx#c1e1;cx#c1e2;ex#c2e0;kx#c2e1;m".into(),
            0,
            |_| {},
        );
        assert!(j.pending.is_empty());
    }

    #[test]
    fn typist_edits_survive_rebases() {
        let mut t = Typist::new(3, 9);
        let mut j = JsonText::new("start\n".into());
        for _ in 0..50 {
            let (p, n) = j.around_cursor();
            j.apply_local(t.next_edit(p, n));
        }
        let ours = j.text().to_string();
        let mut region = String::new();
        j.receive(format!("{ours}tail"), 3, |r| region = r.to_string());
        assert_eq!(region, format!("{}tail", &ours[ours.len() - 3..]));
        assert_eq!(j.text(), format!("{ours}tail"));
        assert_eq!(crate::marker::all_in(j.text()).len(), 50);
    }

    #[test]
    fn a_backspace_never_splits_a_character() {
        let mut j = JsonText::new("é".into());
        j.apply_local(edit(1, 0, true, "a"));
        assert_eq!(j.text(), "éx#c1e0;a");
    }

    #[test]
    fn changed_range_covers_the_difference() {
        assert_eq!(changed_range("abcdef", "abXYef"), 2..4);
        assert_eq!(changed_range("abc", "abc"), 3..3);
        assert_eq!(changed_range("aaa", "aaaa"), 3..4);
        assert_eq!(changed_range("", "xyz"), 0..3);
        assert_eq!(changed_range("héllo", "hèllo"), 1..3);
        assert_eq!(widen("abcdef", 2..3, 10), 0..6);
    }
}
