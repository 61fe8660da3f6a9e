//! One configurable tokenizer for every language family: identifiers,
//! numbers, strings, comments and punctuation, with byte offsets. It only
//! needs to be right about what is code and what is not (so a `def` inside a
//! string is not a definition); it never fails, whatever the input.

/// What differs between the families' lexical syntax.
pub(crate) struct Lexical {
    pub line_comment: &'static str,
    /// `/* */`, nested in Rust.
    pub block_comment: bool,
    pub nested_comments: bool,
    /// Python's `"""`/`'''` and string prefixes (`r"`, `f'`, `rb"`...).
    pub python_strings: bool,
    /// `'` opens a string (Python, JS) rather than a char literal or a
    /// lifetime.
    pub single_quote_strings: bool,
    /// JS template literals and Go raw strings.
    pub backtick_strings: bool,
    /// Rust's `r#"..."#` and `'a` lifetimes.
    pub rust_literals: bool,
    /// `$` is part of identifiers (JS).
    pub dollar_idents: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    Ident,
    Number,
    Str,
    Comment,
    /// One punctuation character, or one of `::` `->` `=>` `==` `:=` `!=`
    /// `<=` `>=` (so `a == b` never reads as an assignment).
    Punct,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: u32,
    pub end: u32,
    /// A string or comment that runs to the end of the text (or, for a line
    /// comment, of its line): the cursor at its end is still inside it.
    pub open: bool,
}

const COMPOUND: [&[u8; 2]; 8] = [b"::", b"->", b"=>", b"==", b":=", b"!=", b"<=", b">="];

pub(crate) fn is_ident_char(c: char, lex: &Lexical) -> bool {
    c == '_' || c.is_alphanumeric() || (c == '$' && lex.dollar_idents)
}

pub(crate) fn tokenize(src: &str, lex: &Lexical) -> Vec<Token> {
    let bytes = src.as_bytes();
    let mut out = Vec::with_capacity(src.len() / 6);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let comment = lex.line_comment.as_bytes();
        let (kind, end, open) = if b == comment[0] && bytes[i..].starts_with(comment) {
            let end = memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
            (Tok::Comment, end, true)
        } else if b == b'/' && lex.block_comment && bytes.get(i + 1) == Some(&b'*') {
            let (end, open) = block_comment(bytes, i, lex.nested_comments);
            (Tok::Comment, end, open)
        } else if b == b'"' || (b == b'\'' && lex.single_quote_strings) {
            if lex.python_strings && bytes[i..].starts_with(&[b, b, b]) {
                let (end, open) = until_triple(bytes, i + 3, b);
                (Tok::Str, end, open)
            } else {
                let (end, open) = quoted(bytes, i + 1, b, !lex.rust_literals);
                (Tok::Str, end, open)
            }
        } else if b == b'\'' {
            char_or_lifetime(bytes, i, lex)
        } else if b == b'`' && lex.backtick_strings {
            let (end, open) = raw_until(bytes, i + 1, b"`");
            (Tok::Str, end, open)
        } else if b.is_ascii_digit() {
            let mut j = i + 1;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                j += 1;
            }
            // A decimal point followed by a digit stays in the number.
            if j + 1 < bytes.len() && bytes[j] == b'.' && bytes[j + 1].is_ascii_digit() {
                j += 1;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
            }
            (Tok::Number, j, false)
        } else if let Some(c) = src[i..].chars().next().filter(|&c| is_ident_char(c, lex)) {
            let mut j = i + c.len_utf8();
            loop {
                // ASCII, by far the common case, without decoding chars.
                match bytes.get(j) {
                    Some(&a)
                        if a.is_ascii_alphanumeric()
                            || a == b'_'
                            || (a == b'$' && lex.dollar_idents) =>
                    {
                        j += 1
                    }
                    Some(&a) if a.is_ascii() => break,
                    None => break,
                    Some(_) => match src[j..].chars().next() {
                        Some(c) if is_ident_char(c, lex) => j += c.len_utf8(),
                        _ => break,
                    },
                }
            }
            if let Some((end, open)) = prefixed_string(src, i, j, lex) {
                (Tok::Str, end, open)
            } else {
                (Tok::Ident, j, false)
            }
        } else {
            let next = bytes.get(i + 1).copied().unwrap_or(0);
            let len = if COMPOUND.iter().any(|c| c[0] == b && c[1] == next) {
                2
            } else {
                src[i..].chars().next().map_or(1, char::len_utf8)
            };
            (Tok::Punct, i + len, false)
        };
        out.push(Token {
            kind,
            start: start as u32,
            end: end as u32,
            open,
        });
        i = end.max(i + 1);
    }
    out
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

fn block_comment(bytes: &[u8], from: usize, nested: bool) -> (usize, bool) {
    let mut depth = 0usize;
    let mut i = from;
    while i + 1 < bytes.len() {
        if bytes[i] == b'/' && bytes[i + 1] == b'*' && (nested || depth == 0) {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return (i, false);
            }
        } else {
            i += 1;
        }
    }
    (bytes.len(), true)
}

/// A one-line quoted string from just after its opening quote. Python's and
/// C's end at an unescaped newline; an unterminated one is `open`.
fn quoted(bytes: &[u8], from: usize, quote: u8, stops_at_newline: bool) -> (usize, bool) {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' if stops_at_newline || quote == b'\'' => return (i, true),
            b if b == quote => return (i + 1, false),
            _ => i += 1,
        }
    }
    (bytes.len(), true)
}

fn until_triple(bytes: &[u8], from: usize, quote: u8) -> (usize, bool) {
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            i += 2;
        } else if bytes[i..].starts_with(&[quote, quote, quote]) {
            return (i + 3, false);
        } else {
            i += 1;
        }
    }
    (bytes.len(), true)
}

fn raw_until(bytes: &[u8], from: usize, close: &[u8]) -> (usize, bool) {
    let mut i = from;
    while i < bytes.len() {
        if bytes[i..].starts_with(close) {
            return (i + close.len(), false);
        }
        i += 1;
    }
    (bytes.len(), true)
}

/// `'x'`, `'\n'` are char literals; in Rust `'a` alone is a lifetime (a
/// punctuation mark followed by an identifier).
fn char_or_lifetime(bytes: &[u8], i: usize, lex: &Lexical) -> (Tok, usize, bool) {
    if lex.rust_literals {
        let next = bytes.get(i + 1).copied();
        let escaped = next == Some(b'\\');
        let width = next.map_or(1, utf8_width);
        let closes = bytes.get(i + 1 + width) == Some(&b'\'');
        if !escaped && !closes {
            return (Tok::Punct, i + 1, false);
        }
    }
    let (end, open) = quoted(bytes, i + 1, b'\'', true);
    (Tok::Str, end, open)
}

fn utf8_width(first: u8) -> usize {
    match first {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// Python's `r"..."`, `f'...'`, `b"""..."""`; Rust's `b"..."`, `r#"..."#`;
/// C++'s `u8"..."`, `L"..."`: an identifier glued to a quote.
fn prefixed_string(src: &str, start: usize, end: usize, lex: &Lexical) -> Option<(usize, bool)> {
    let bytes = src.as_bytes();
    // Most identifiers are not followed by a quote: decided on one byte.
    let next = *bytes.get(end)?;
    if !matches!(next, b'"' | b'\'' | b'#') || end - start > 2 {
        return None;
    }
    let prefix = &src[start..end];
    let is = |options: &[&str]| options.iter().any(|o| o.eq_ignore_ascii_case(prefix));
    if lex.python_strings {
        if !is(&["r", "b", "f", "u", "rb", "br", "fr", "rf"]) || next == b'#' {
            return None;
        }
        return Some(if bytes[end..].starts_with(&[next, next, next]) {
            until_triple(bytes, end + 3, next)
        } else {
            quoted(bytes, end + 1, next, true)
        });
    }
    if lex.rust_literals && (prefix == "r" || prefix == "br") && (next == b'"' || next == b'#') {
        let hashes = bytes[end..].iter().take_while(|&&b| b == b'#').count();
        if bytes.get(end + hashes) != Some(&b'"') {
            return None;
        }
        let mut close = vec![b'"'];
        close.extend(std::iter::repeat_n(b'#', hashes));
        return Some(raw_until(bytes, end + hashes + 1, &close));
    }
    if next == b'"' && !lex.single_quote_strings && is(&["b", "l", "u", "u8"]) {
        return Some(quoted(bytes, end + 1, b'"', !lex.rust_literals));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autocomplete::lang;

    fn kinds(src: &str, language: &str) -> Vec<(Tok, String)> {
        let spec = lang::spec(language).unwrap();
        tokenize(src, spec.lexical)
            .into_iter()
            .map(|t| (t.kind, src[t.start as usize..t.end as usize].to_owned()))
            .collect()
    }

    #[test]
    fn python_strings_and_comments_are_not_code() {
        let toks = kinds("x = '''def f():''' # class C\nr\"a\\\"b\" f'{y}'", "python");
        assert_eq!(toks[2], (Tok::Str, "'''def f():'''".into()));
        assert_eq!(toks[3], (Tok::Comment, "# class C".into()));
        assert_eq!(toks[4], (Tok::Str, "r\"a\\\"b\"".into()));
        assert_eq!(toks[5], (Tok::Str, "f'{y}'".into()));
    }

    #[test]
    fn rust_lifetimes_chars_and_raw_strings() {
        let toks = kinds(
            "fn f<'a>(c: char) { let s = r#\"x\"y\"#; 'z'; /* /* n */ */ }",
            "rust",
        );
        assert!(toks.contains(&(Tok::Ident, "a".into())), "{toks:?}");
        assert!(toks.contains(&(Tok::Str, "r#\"x\"y\"#".into())));
        assert!(toks.contains(&(Tok::Str, "'z'".into())));
        assert!(toks.contains(&(Tok::Comment, "/* /* n */ */".into())));
    }

    #[test]
    fn compound_operators_and_unicode_identifiers() {
        let toks = kinds("größe == 1 && a := b; x->y; 3.14", "go");
        assert_eq!(toks[0], (Tok::Ident, "größe".into()));
        assert_eq!(toks[1], (Tok::Punct, "==".into()));
        assert!(toks.contains(&(Tok::Punct, ":=".into())));
        assert!(toks.contains(&(Tok::Punct, "->".into())));
        assert_eq!(toks.last().unwrap(), &(Tok::Number, "3.14".into()));
    }

    #[test]
    fn unterminated_literals_are_open_and_never_panic() {
        let spec = lang::spec("javascript").unwrap();
        let toks = tokenize("let s = `abc", spec.lexical);
        assert!(toks.last().unwrap().open);
        for src in ["'", "\"\\", "/*", "r#\"", "'\\", "🙂'", "b'"] {
            for language in ["python", "rust", "c", "go", "javascript"] {
                let spec = lang::spec(language).unwrap();
                let _ = tokenize(src, spec.lexical);
            }
        }
    }
}
