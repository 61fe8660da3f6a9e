//! Java: classes, interfaces, enums and records (fields, methods,
//! constructors, constants), parameters, local variables with their
//! declared or constructed type, and imports.

use super::brace::{Walker, list_items, statement_start};
use super::{Toks, type_name};
use crate::autocomplete::Kind;
use crate::autocomplete::lex::Tok;
use crate::autocomplete::symbols::{Builder, ScopeKind};

#[rustfmt::skip]
fn is_modifier(word: &str) -> bool {
    matches!(word,
        "public" | "private" | "protected" | "static" | "final" | "abstract" | "synchronized" |
        "native" | "transient" | "volatile" | "default" | "sealed" | "strictfp")
}
/// Words that start a statement, never a declaration's type.
#[rustfmt::skip]
fn starts_statement(word: &str) -> bool {
    matches!(word,
        "return" | "if" | "else" | "while" | "for" | "do" | "switch" | "case" | "break" | "continue" |
        "throw" | "try" | "catch" | "finally" | "new" | "import" | "package" | "yield" | "assert" |
        "this" | "super")
}

pub(super) fn scan(t: &Toks<'_>, b: &mut Builder) {
    let mut w = Walker::default();
    let mut enums: Vec<String> = Vec::new();
    let mut i = 0;
    while i < t.len() {
        if w.step(t, i, b).is_some() {
            i += 1;
            continue;
        }
        let next = if let Some(next) = type_decl(t, i, b, &mut w, &mut enums) {
            next
        } else if w.in_type() {
            let owner = b.owner().unwrap_or_default().to_owned();
            member(t, i, b, &mut w, &owner, enums.contains(&owner))
        } else {
            local(t, i, b)
        };
        i = next.max(i + 1);
    }
}

fn type_decl(
    t: &Toks<'_>,
    i: usize,
    b: &mut Builder,
    w: &mut Walker,
    enums: &mut Vec<String>,
) -> Option<usize> {
    let kind = match t.text(i) {
        "class" | "record" => Kind::Class,
        "interface" => Kind::Interface,
        "enum" => Kind::Enum,
        "import" => return Some(import(t, i, b)),
        _ => return None,
    };
    let name = t.ident(i + 1).filter(|_| t.kind(i) == Some(Tok::Ident))?;
    b.def(name, kind, t.start(i + 1));
    if kind == Kind::Enum {
        enums.push(name.to_owned());
    }
    let mut j = i + 2;
    if t.is(i, "record") && t.is(j, "(") {
        let (_, close) = list_items(t, j, |s, e| {
            let k = (s..e).rev().find(|&k| t.ident(k).is_some())?;
            let ty = type_name(t, s, false).map(|(ty, _)| ty);
            b.member(name, t.text(k), Kind::Field, false, ty.as_deref());
            b.member(name, t.text(k), Kind::Method, false, ty.as_deref());
            Some(k)
        });
        j = close + 1;
    }
    while j < t.len() && !t.is(j, "{") && !t.is(j, ";") {
        if matches!(t.text(j), "extends" | "implements" | ",")
            && let Some((base, _)) = type_name(t, j + 1, false)
        {
            b.base(name, &base);
        }
        j += 1;
    }
    w.expect(ScopeKind::Type, Some(name), Some("this"));
    Some(j)
}

fn member(
    t: &Toks<'_>,
    mut i: usize,
    b: &mut Builder,
    w: &mut Walker,
    owner: &str,
    is_enum: bool,
) -> usize {
    if is_enum
        && t.ident(i).is_some()
        && (t.is(i - 1, "{") || t.is(i - 1, ","))
        && matches!(t.text(i + 1), "," | ";" | "(" | "}")
    {
        b.member(owner, t.text(i), Kind::Constant, true, None);
        return i + 1;
    }
    loop {
        if is_modifier(t.text(i)) {
            i += 1;
        } else if t.is(i, "@") && t.ident(i + 1).is_some() {
            i += 2;
            if t.is(i, "(") {
                i = t.matching(i) + 1;
            }
        } else if t.is(i, "<") {
            i = t.matching(i) + 1;
        } else {
            break;
        }
    }
    if t.ident(i) == Some(owner) && t.is(i + 1, "(") {
        let close = params(t, i + 1, b);
        w.expect(ScopeKind::Function, Some(owner), Some("this"));
        return close;
    }
    let Some((ty, after)) = declared_type(t, i) else {
        return i + 1;
    };
    let Some(name) = t.ident(after) else {
        return i + 1;
    };
    if t.is(after + 1, "(") {
        b.member(owner, name, Kind::Method, false, Some(&ty));
        let close = params(t, after + 1, b);
        w.expect(ScopeKind::Function, Some(owner), Some("this"));
        return close;
    }
    if matches!(t.text(after + 1), "=" | ";" | ",") {
        let upper = name.len() > 1
            && name
                .chars()
                .all(|c| c.is_uppercase() || c == '_' || c.is_ascii_digit());
        let kind = if upper { Kind::Constant } else { Kind::Field };
        b.member(owner, name, kind, false, Some(&ty));
    }
    after + 1
}

/// A type at `i` (`int`, `List<String>`, `String[]`, `a.b.C`), and the
/// index after it.
fn declared_type(t: &Toks<'_>, i: usize) -> Option<(String, usize)> {
    let word = t.ident(i)?;
    if starts_statement(word) || is_modifier(word) {
        return None;
    }
    let (ty, mut j) = type_name(t, i, false)?;
    if t.is(j, "<") {
        j = t.matching(j) + 1;
    }
    while t.is(j, "[") && t.is(j + 1, "]") {
        j += 2;
    }
    Some((ty, j))
}

fn params(t: &Toks<'_>, open: usize, b: &mut Builder) -> usize {
    let (_, close) = list_items(t, open, |s, e| {
        let s = (s..e).find(|&k| !t.is(k, "final") && !t.is(k, "@"))?;
        let (ty, after) = declared_type(t, s)?;
        let name = t.ident(after)?;
        b.def(name, Kind::Variable, t.start(after));
        b.var_type(name, &ty);
        Some(after)
    });
    close
}

/// `Type name = ...;`, `var name = new T();`, `for (Type x : xs)`.
fn local(t: &Toks<'_>, i: usize, b: &mut Builder) -> usize {
    let starts = statement_start(t, i) || t.is(i - 1, "(") && t.is(i.wrapping_sub(2), "for");
    let i = if t.is(i, "final") { i + 1 } else { i };
    if !starts {
        return i + 1;
    }
    let Some((ty, after)) = declared_type(t, i) else {
        return i + 1;
    };
    let Some(name) = t.ident(after) else {
        return i + 1;
    };
    if !matches!(t.text(after + 1), "=" | ";" | ":" | ",") {
        return i + 1;
    }
    b.def(name, Kind::Variable, t.start(after));
    let ty = if ty == "var" && t.is(after + 2, "new") {
        type_name(t, after + 3, false).map(|(ty, _)| ty)
    } else if ty == "var" {
        None
    } else {
        Some(ty)
    };
    if let Some(ty) = ty {
        b.var_type(name, &ty);
    }
    after + 1
}

fn import(t: &Toks<'_>, i: usize, b: &mut Builder) -> usize {
    let mut j = i + 1;
    while j < t.len() && !t.is(j, ";") && !t.starts_line(j) {
        j += 1;
    }
    let first = if t.is(i + 1, "static") { i + 2 } else { i + 1 };
    if first < j {
        b.import(&t.src[t.start(first)..t.end(j - 1)]);
        if let Some(name) = t.ident(j - 1) {
            let upper = name.chars().next().is_some_and(char::is_uppercase);
            b.def(
                name,
                if upper { Kind::Class } else { Kind::Function },
                t.start(j - 1),
            );
        }
    }
    j
}
