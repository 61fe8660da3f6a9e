//! UTF-16 offsets (what browsers count) over UTF-8 text, byte by byte:
//! every request converts its cursor, and a 2 MB document decoded char by
//! char would cost more than the completion itself.

/// UTF-16 code units in `s`: one per char, two for chars beyond the BMP
/// (whose UTF-8 form starts with a byte >= 0xF0).
pub fn len(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    s.bytes()
        .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

/// The byte offset of UTF-16 offset `units` in `s`, at a char boundary:
/// the end of the text past it, the next char inside a surrogate pair.
pub fn to_byte(s: &str, units: usize) -> usize {
    if s.as_bytes().get(..units).unwrap_or(s.as_bytes()).is_ascii() {
        return units.min(s.len());
    }
    let mut seen = 0usize;
    for (i, b) in s.bytes().enumerate() {
        if b & 0xC0 == 0x80 {
            continue;
        }
        if seen >= units {
            return i;
        }
        seen += 1 + usize::from(b >= 0xF0);
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_standard_library_and_the_doc_module() {
        for s in [
            "",
            "abc",
            "héllo 🙂 wörld",
            "🙂🙂",
            "日本語 text",
            "a\u{10FFFF}b",
        ] {
            assert_eq!(len(s), s.encode_utf16().count(), "{s:?}");
            for units in 0..=len(s) + 2 {
                assert_eq!(
                    to_byte(s, units),
                    crate::doc::utf16_to_byte(s, units),
                    "{s:?} at {units}"
                );
            }
        }
    }
}
