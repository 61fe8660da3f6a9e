//! Rust: structs (fields and their types), enums (variants), traits,
//! `impl` blocks (methods, associated functions, `self`), functions and
//! their parameters, `let` bindings with the type their initialiser shows,
//! `use` paths, consts, statics, modules and macros.

use super::brace::{Walker, list_items};
use super::{Toks, type_name};
use crate::autocomplete::Kind;
use crate::autocomplete::lex::Tok;
use crate::autocomplete::symbols::{Builder, ScopeKind};

#[derive(Clone, Copy, PartialEq)]
enum Body {
    Struct,
    Enum,
    Other,
}

pub(super) fn scan(t: &Toks<'_>, b: &mut Builder) {
    let mut w = Walker::default();
    let mut bodies: Vec<(String, Body)> = Vec::new();
    let mut i = 0;
    while i < t.len() {
        if w.step(t, i, b).is_some() {
            i += 1;
            continue;
        }
        let body = b
            .owner()
            .filter(|_| w.in_type())
            .and_then(|o| bodies.iter().rev().find(|(n, _)| n == o))
            .map(|(n, k)| (n.clone(), *k));
        let next = match body {
            Some((owner, Body::Struct)) => field(t, i, b, &owner),
            Some((owner, Body::Enum)) => variant(t, i, b, &owner),
            _ => item(t, i, b, &mut w, &mut bodies),
        };
        i = next.max(i + 1);
    }
}

fn field(t: &Toks<'_>, mut i: usize, b: &mut Builder, owner: &str) -> usize {
    if t.is(i, "pub") {
        i += if t.is(i + 1, "(") {
            t.matching(i + 1) - i + 1
        } else {
            1
        };
    }
    if let (Some(name), true) = (t.ident(i), t.is(i + 1, ":")) {
        let ty = type_name(t, i + 2, false).map(|(ty, _)| ty);
        b.member(owner, name, Kind::Field, false, ty.as_deref());
        return end_of_item(t, i + 2);
    }
    i + 1
}

fn variant(t: &Toks<'_>, i: usize, b: &mut Builder, owner: &str) -> usize {
    if let Some(name) = t.ident(i).filter(|_| t.is(i - 1, "{") || t.is(i - 1, ",")) {
        b.member(owner, name, Kind::Constant, true, None);
        return end_of_item(t, i + 1);
    }
    i + 1
}

/// Past a field or variant: its `,` at depth 0, or the body's `}`.
fn end_of_item(t: &Toks<'_>, from: usize) -> usize {
    let mut depth = 0usize;
    for k in from..t.len() {
        match t.text(k) {
            "," if depth == 0 => return k,
            "(" | "[" | "{" | "<" => depth += 1,
            ")" | "]" | ">" => depth = depth.saturating_sub(1),
            "}" if depth == 0 => return k,
            "}" => depth -= 1,
            _ => {}
        }
    }
    t.len()
}

fn item(
    t: &Toks<'_>,
    i: usize,
    b: &mut Builder,
    w: &mut Walker,
    bodies: &mut Vec<(String, Body)>,
) -> usize {
    if t.kind(i) != Some(Tok::Ident) {
        return i + 1;
    }
    match t.text(i) {
        kw @ ("struct" | "enum" | "trait" | "union") => {
            let Some(name) = t.ident(i + 1) else {
                return i + 1;
            };
            let (kind, body) = match kw {
                "enum" => (Kind::Enum, Body::Enum),
                "trait" => (Kind::Interface, Body::Other),
                _ => (Kind::Struct, Body::Struct),
            };
            b.def(name, kind, t.start(i + 1));
            bodies.push((name.to_owned(), body));
            w.expect(ScopeKind::Type, Some(name), Some("self"));
            i + 2
        }
        "impl" => {
            let mut j = i + 1;
            if t.is(j, "<") {
                j = t.matching(j) + 1;
            }
            let mut target = type_name(t, j, false);
            while j < t.len() && !t.is(j, "{") && !t.is(j, ";") {
                if t.is(j, "for") {
                    target = type_name(t, j + 1, false);
                }
                j += 1;
            }
            if let Some((name, _)) = target {
                bodies.push((name.clone(), Body::Other));
                w.expect(ScopeKind::Type, Some(&name), Some("self"));
            }
            j
        }
        "fn" => function(t, i, b, w),
        "let" => binding(t, i + 1, b),
        "const" | "static" if t.ident(i + 1).is_some() => {
            let at = if t.is(i + 1, "mut") { i + 2 } else { i + 1 };
            if let Some(name) = t.ident(at) {
                match b.owner().filter(|_| w.in_type()) {
                    Some(owner) => {
                        let owner = owner.to_owned();
                        b.member(&owner, name, Kind::Constant, true, None);
                    }
                    None => b.def(name, Kind::Constant, t.start(at)),
                }
            }
            at + 1
        }
        "mod" | "type" if t.ident(i + 1).is_some() => {
            let kind = if t.is(i, "mod") {
                Kind::Module
            } else {
                Kind::Type
            };
            b.def(t.text(i + 1), kind, t.start(i + 1));
            i + 2
        }
        "macro_rules" if t.is(i + 1, "!") && t.ident(i + 2).is_some() => {
            b.def(t.text(i + 2), Kind::Function, t.start(i + 2));
            i + 3
        }
        "use" => use_path(t, i + 1, b),
        "for" => {
            let mut j = i + 1;
            while j < t.len() && !t.is(j, "in") && !t.is(j, "{") {
                if let Some(name) = t.ident(j).filter(|n| *n != "mut") {
                    b.def(name, Kind::Variable, t.start(j));
                }
                j += 1;
            }
            j
        }
        _ => i + 1,
    }
}

fn function(t: &Toks<'_>, i: usize, b: &mut Builder, w: &mut Walker) -> usize {
    let Some(name) = t.ident(i + 1) else {
        return i + 1;
    };
    let owner = b.owner().filter(|_| w.in_type()).map(str::to_owned);
    let mut open = i + 2;
    if t.is(open, "<") {
        open = t.matching(open) + 1;
    }
    let mut has_self = false;
    let close = if t.is(open, "(") {
        let (_, close) = list_items(t, open, |s, e| {
            if (s..e).any(|k| t.is(k, "self")) {
                has_self = true;
                return None;
            }
            let colon = (s..e).find(|&k| t.is(k, ":"))?;
            let k = (s..colon)
                .rev()
                .find(|&k| t.ident(k).is_some_and(|n| n != "mut"))?;
            b.def(t.text(k), Kind::Variable, t.start(k));
            if let Some((ty, _)) = type_name(t, colon + 1, false) {
                b.var_type(t.text(k), &ty);
            }
            Some(k)
        });
        close
    } else {
        open
    };
    match &owner {
        Some(owner) => {
            let kind = if has_self {
                Kind::Method
            } else {
                Kind::Function
            };
            b.member(owner, name, kind, !has_self, None);
        }
        None => b.def(name, Kind::Function, t.start(i + 1)),
    }
    let owner = owner.or_else(|| b.owner().map(str::to_owned));
    w.expect(ScopeKind::Function, owner.as_deref(), Some("self"));
    close
}

/// `let [mut] name[: T] = value` and `let (a, b) = ...`.
fn binding(t: &Toks<'_>, i: usize, b: &mut Builder) -> usize {
    let at = if t.is(i, "mut") { i + 1 } else { i };
    if t.is(at, "(") {
        let (_, close) = list_items(t, at, |s, e| {
            let k = (s..e).find(|&k| t.ident(k).is_some_and(|n| n != "mut"))?;
            b.def(t.text(k), Kind::Variable, t.start(k));
            Some(k)
        });
        return close + 1;
    }
    let Some(name) = t.ident(at) else { return at };
    b.def(name, Kind::Variable, t.start(at));
    let ty = if t.is(at + 1, ":") {
        type_name(t, at + 2, false).map(|(ty, _)| ty)
    } else if t.is(at + 1, "=") {
        infer(t, at + 2)
    } else {
        None
    };
    if let Some(ty) = ty {
        b.var_type(name, &ty);
    }
    at + 1
}

fn infer(t: &Toks<'_>, i: usize) -> Option<String> {
    if t.kind(i) == Some(Tok::Str) {
        let owned = t.is(i + 1, ".") && matches!(t.text(i + 2), "to_string" | "to_owned" | "into");
        return Some(if owned { "String" } else { "str" }.into());
    }
    let i = if t.is(i, "&") { i + 1 } else { i };
    let name = t.ident(i)?;
    if name == "vec" && t.is(i + 1, "!") {
        return Some("Vec".into());
    }
    if name == "Some" || name == "None" {
        return Some("Option".into());
    }
    if name == "Ok" || name == "Err" {
        return Some("Result".into());
    }
    let upper = name.chars().next().is_some_and(char::is_uppercase);
    let constructs = t.is(i + 1, "::") || t.is(i + 1, "{") || t.is(i + 1, "(");
    (upper && constructs).then(|| name.to_owned())
}

/// `use a::b::{c, d as e};`: the last segments become names.
fn use_path(t: &Toks<'_>, i: usize, b: &mut Builder) -> usize {
    let mut j = i;
    let start = t.start(i);
    while j < t.len() && !t.is(j, ";") {
        let leaf = t.ident(j).filter(|_| {
            matches!(t.text(j + 1), ";" | "," | "}") && !t.is(j.wrapping_sub(1), "as")
                || t.is(j - 1, "as")
        });
        if let Some(name) = leaf.filter(|n| *n != "self" && *n != "super" && *n != "crate") {
            let upper = name.chars().next().is_some_and(char::is_uppercase);
            b.def(
                name,
                if upper { Kind::Type } else { Kind::Module },
                t.start(j),
            );
        }
        j += 1;
    }
    b.import(&t.src[start..t.start(j).max(start)]);
    j
}
