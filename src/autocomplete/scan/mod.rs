//! One pass from a document to its [`Symbols`]: the shared part (words,
//! receivers and their members, strings and comments, indentation) here,
//! the declaration rules of each language family in its own module.

mod brace;
mod c;
mod go;
mod java;
mod javascript;
mod python;
mod rust;

use super::lang::{Family, Spec};
use super::lex::{self, Tok, Token};
use super::symbols::{Builder, Symbols, detect_indent};

/// The code tokens of a document (comments dropped) with helpers to read
/// them; every accessor is total, out of range answers "no".
pub(crate) struct Toks<'a> {
    pub src: &'a str,
    pub toks: Vec<Token>,
}

impl<'a> Toks<'a> {
    pub fn len(&self) -> usize {
        self.toks.len()
    }

    pub fn text(&self, i: usize) -> &'a str {
        self.toks
            .get(i)
            .map_or("", |t| &self.src[t.start as usize..t.end as usize])
    }

    pub fn kind(&self, i: usize) -> Option<Tok> {
        self.toks.get(i).map(|t| t.kind)
    }

    pub fn start(&self, i: usize) -> usize {
        self.toks
            .get(i)
            .map_or(self.src.len(), |t| t.start as usize)
    }

    pub fn end(&self, i: usize) -> usize {
        self.toks.get(i).map_or(self.src.len(), |t| t.end as usize)
    }

    pub fn ident(&self, i: usize) -> Option<&'a str> {
        (self.kind(i) == Some(Tok::Ident)).then(|| self.text(i))
    }

    /// The byte of a one-byte punctuation token.
    pub fn punct_byte(&self, i: usize) -> Option<u8> {
        let tok = self.toks.get(i)?;
        (tok.kind == Tok::Punct && tok.end == tok.start + 1)
            .then(|| self.src.as_bytes()[tok.start as usize])
    }

    pub fn is(&self, i: usize, text: &str) -> bool {
        // Called for nearly every token several times: compare the bytes
        // in place rather than through a call to memcmp.
        let Some(tok) = self.toks.get(i) else {
            return false;
        };
        let own = &self.src.as_bytes()[tok.start as usize..tok.end as usize];
        tok.kind != Tok::Str
            && own.len() == text.len()
            && own.iter().zip(text.as_bytes()).all(|(a, b)| a == b)
    }

    /// Index of the token closing the bracket opened at `open`, or the end.
    pub fn matching(&self, open: usize) -> usize {
        let (o, c) = match self.text(open) {
            "(" => ("(", ")"),
            "[" => ("[", "]"),
            "{" => ("{", "}"),
            "<" => ("<", ">"),
            _ => return open,
        };
        let mut depth = 0usize;
        for i in open..self.len() {
            if self.is(i, o) {
                depth += 1;
            } else if self.is(i, c) {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            } else if o == "<" && (self.is(i, ";") || self.is(i, "{") || self.is(i, ")")) {
                return i;
            }
        }
        self.len()
    }

    /// First token of the line holding token `i`?
    pub fn starts_line(&self, i: usize) -> bool {
        i == 0 || self.src.as_bytes()[self.end(i - 1)..self.start(i)].contains(&b'\n')
    }
}

/// Scans `src` as `spec`'s language.
pub(crate) fn scan(src: &str, spec: &'static Spec) -> Symbols {
    let mut toks = lex::tokenize(src, spec.lexical);
    let mut b = Builder::default();
    b.symbols.quiet = toks
        .iter()
        .filter(|t| matches!(t.kind, Tok::Str | Tok::Comment))
        .map(|t| (t.start, t.end, t.open))
        .collect();
    toks.retain(|t| t.kind != Tok::Comment);
    let toks = Toks { src, toks };
    words_and_receivers(&toks, spec, &mut b);
    match spec.family {
        Family::Python => python::scan(&toks, &mut b),
        Family::JavaScript => javascript::scan(&toks, &mut b),
        Family::Rust => rust::scan(&toks, &mut b),
        Family::Go => go::scan(&toks, &mut b),
        Family::Java => java::scan(&toks, &mut b),
        Family::C => c::scan(&toks, &mut b),
    }
    b.symbols.indent = detect_indent(src).unwrap_or_else(|| spec.indent.into());
    b.finish(src.len())
}

/// Counts identifiers, and records `a.b` / `a::b` / `a->b` uses under the
/// receiver as written (up to three segments: `self.items.append`).
fn words_and_receivers(t: &Toks<'_>, spec: &'static Spec, b: &mut Builder) {
    let mut words: foldhash::HashMap<&str, u32> = foldhash::HashMap::default();
    words.reserve(t.len() / 8);
    for i in 0..t.len() {
        let Some(word) = t.ident(i) else { continue };
        *words.entry(word).or_default() += 1;
        if i >= 2
            && spec.member_ops.iter().any(|op| t.is(i - 1, op))
            && adjacent(t, i - 2, i)
            && let Some(receiver) = receiver_before(t, i - 1, spec)
        {
            match b.symbols.observed.get_mut(receiver) {
                Some(seen) => match seen.get_mut(word) {
                    Some(n) => *n += 1,
                    None => {
                        seen.insert(word.into(), 1);
                    }
                },
                None => {
                    let seen = std::iter::once((Box::from(word), 1)).collect();
                    b.symbols.observed.insert(receiver.into(), seen);
                }
            }
        }
    }
    // Keywords out once at the end, rather than a lookup per identifier.
    for s in spec.chain() {
        for kw in s.keywords.iter().filter(|kw| !spec.self_names.contains(kw)) {
            words.remove(kw);
        }
    }
    b.symbols.set_words(words.into_iter());
}

/// No whitespace between tokens `a` and `b` (and what lies between).
fn adjacent(t: &Toks<'_>, a: usize, b: usize) -> bool {
    (a..b).all(|i| t.end(i) == t.start(i + 1))
}

/// The receiver ending just before the member operator at `op`.
pub(crate) fn receiver_before<'a>(t: &Toks<'a>, op: usize, spec: &'static Spec) -> Option<&'a str> {
    let last = op.checked_sub(1)?;
    t.ident(last)?;
    let mut first = last;
    for _ in 0..2 {
        let (Some(o), Some(w)) = (first.checked_sub(1), first.checked_sub(2)) else {
            break;
        };
        if spec.member_ops.contains(&t.text(o)) && t.ident(w).is_some() && adjacent(t, w, first) {
            first = w;
        } else {
            break;
        }
    }
    Some(&t.src[t.start(first)..t.end(last)])
}

/// The name a type expression starting at `i` stands for, and the index
/// after it: `&mut Vec<T>` → `Vec`, `std::string` → `string`, `*Foo` →
/// `Foo`, `list[int]` → `list`; with `keep_path`, `testing.T` stays whole.
pub(crate) fn type_name(t: &Toks<'_>, mut i: usize, keep_path: bool) -> Option<(String, usize)> {
    while matches!(
        t.text(i),
        "&" | "*" | "mut" | "const" | "dyn" | "impl" | "struct" | "final" | "'" | "[" | "]"
    ) {
        if t.is(i, "'") {
            i += 1;
        }
        i += 1;
    }
    let first = i;
    let mut name = t.ident(i)?.to_owned();
    let mut j = i + 1;
    while (t.is(j, "::") || t.is(j, ".")) && t.ident(j + 1).is_some() {
        name = t.text(j + 1).to_owned();
        j += 2;
    }
    if keep_path {
        name = t.src[t.start(first)..t.end(j - 1)].to_owned();
    }
    Some((name, j))
}
