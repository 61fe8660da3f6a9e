//! Go: `type` declarations (struct fields, embedded types, interface
//! methods), functions and methods (the receiver names the owner type),
//! parameters, `var`/`const`, `:=` bindings and imports.

use super::brace::{Walker, list_items};
use super::{Toks, type_name};
use crate::autocomplete::Kind;
use crate::autocomplete::lex::Tok;
use crate::autocomplete::symbols::{Builder, ScopeKind};

pub(super) fn scan(t: &Toks<'_>, b: &mut Builder) {
    let mut w = Walker::default();
    let mut structs: Vec<String> = Vec::new();
    let mut i = 0;
    while i < t.len() {
        if w.step(t, i, b).is_some() {
            i += 1;
            continue;
        }
        let body = b.owner().filter(|_| w.in_type()).map(str::to_owned);
        let next = match body {
            Some(owner) if structs.contains(&owner) => field(t, i, b, &owner),
            Some(owner) => {
                if let (Some(name), true) = (t.ident(i), t.is(i + 1, "(")) {
                    b.member(&owner, name, Kind::Method, false, None);
                }
                i + 1
            }
            None => statement(t, i, b, &mut w, &mut structs),
        };
        i = next.max(i + 1);
    }
}

/// A struct body line: `A, B int`, `Name *Type`, or an embedded `Base`.
fn field(t: &Toks<'_>, i: usize, b: &mut Builder, owner: &str) -> usize {
    if !t.starts_line(i) || t.ident(i).is_none() {
        return i + 1;
    }
    let mut names = vec![i];
    let mut j = i + 1;
    while t.is(j, ",") && t.ident(j + 1).is_some() {
        names.push(j + 1);
        j += 2;
    }
    if t.starts_line(j) || t.is(j, "}") || t.kind(j) == Some(Tok::Str) {
        b.base(owner, t.text(i));
        return j;
    }
    let ty = type_name(t, j, true).map(|(ty, _)| ty);
    for n in names {
        b.member(owner, t.text(n), Kind::Field, false, ty.as_deref());
    }
    j
}

fn statement(
    t: &Toks<'_>,
    i: usize,
    b: &mut Builder,
    w: &mut Walker,
    structs: &mut Vec<String>,
) -> usize {
    if t.is(i, ":=") {
        bind_before(t, i, b);
        return i + 1;
    }
    if t.kind(i) != Some(Tok::Ident) {
        return i + 1;
    }
    match t.text(i) {
        "func" => function(t, i, b, w),
        "type" => {
            let Some(name) = t.ident(i + 1) else {
                return i + 1;
            };
            let kind = match t.text(i + 2) {
                "struct" => Kind::Struct,
                "interface" => Kind::Interface,
                _ => Kind::Type,
            };
            b.def(name, kind, t.start(i + 1));
            if kind != Kind::Type {
                if kind == Kind::Struct {
                    structs.push(name.to_owned());
                }
                w.expect(ScopeKind::Type, Some(name), None);
            }
            i + 2
        }
        kw @ ("var" | "const") => {
            let kind = if kw == "var" {
                Kind::Variable
            } else {
                Kind::Constant
            };
            if t.is(i + 1, "(") {
                let close = t.matching(i + 1);
                for k in i + 2..close {
                    if t.starts_line(k) && t.ident(k).is_some() {
                        declare(t, k, b, kind);
                    }
                }
                return close;
            }
            declare(t, i + 1, b, kind)
        }
        "import" => {
            let end = if t.is(i + 1, "(") {
                t.matching(i + 1)
            } else if t.kind(i + 1) == Some(Tok::Str) {
                i + 2
            } else {
                i + 3
            };
            for k in i + 1..end.min(t.len()) {
                if t.kind(k) == Some(Tok::Str) {
                    let path = t.text(k).trim_matches(|c| c == '"' || c == '`');
                    b.import(path);
                    let alias = t
                        .ident(k - 1)
                        .filter(|_| t.kind(k - 1) == Some(Tok::Ident) && k - 1 > i);
                    let name = alias.unwrap_or_else(|| path.rsplit('/').next().unwrap_or(path));
                    b.def(name, Kind::Module, t.start(k));
                }
            }
            end
        }
        _ => i + 1,
    }
}

fn function(t: &Toks<'_>, i: usize, b: &mut Builder, w: &mut Walker) -> usize {
    let mut j = i + 1;
    let mut receiver: Option<(String, String)> = None;
    if t.is(j, "(") {
        let close = t.matching(j);
        if let (Some(name), Some((ty, _))) = (t.ident(j + 1), type_name(t, j + 2, false)) {
            receiver = Some((name.to_owned(), ty));
        }
        j = close + 1;
    }
    let Some(name) = t.ident(j) else { return j };
    match &receiver {
        Some((_, ty)) => b.member(ty, name, Kind::Method, false, None),
        None => b.def(name, Kind::Function, t.start(j)),
    }
    let close = if t.is(j + 1, "(") {
        params(t, j + 1, b)
    } else {
        j + 1
    };
    let (recv, owner) = receiver.map_or((None, None), |(r, o)| (Some(r), Some(o)));
    w.expect(ScopeKind::Function, owner.as_deref(), recv.as_deref());
    close
}

fn params(t: &Toks<'_>, open: usize, b: &mut Builder) -> usize {
    let (_, close) = list_items(t, open, |s, e| {
        let name = t.ident(s)?;
        if e - s < 2 {
            return None;
        }
        b.def(name, Kind::Variable, t.start(s));
        if let Some((ty, _)) = type_name(t, s + 1, true) {
            b.var_type(name, &ty);
        }
        Some(s)
    });
    close
}

/// `name [Type] [= value]` after `var`/`const`.
fn declare(t: &Toks<'_>, i: usize, b: &mut Builder, kind: Kind) -> usize {
    let Some(name) = t.ident(i) else { return i + 1 };
    b.def(name, kind, t.start(i));
    let ty = if t.is(i + 1, "=") {
        infer(t, i + 2)
    } else if !t.starts_line(i + 1) {
        type_name(t, i + 1, true).map(|(ty, _)| ty)
    } else {
        None
    };
    if let Some(ty) = ty {
        b.var_type(name, &ty);
    }
    i + 1
}

/// `a, b := value`: the names before `:=` at `op`.
fn bind_before(t: &Toks<'_>, op: usize, b: &mut Builder) {
    let mut names = Vec::new();
    let mut k = op;
    while let Some(name) = k.checked_sub(1).and_then(|p| t.ident(p)) {
        names.push((name, k - 1));
        if k >= 2 && t.is(k - 2, ",") {
            k -= 2;
        } else {
            break;
        }
    }
    for &(name, at) in &names {
        if name != "_" {
            b.def(name, Kind::Variable, t.start(at));
        }
    }
    if let ([(name, _)], Some(ty)) = (names.as_slice(), infer(t, op + 1)) {
        b.var_type(name, &ty);
    }
}

/// `&T{...}`, `T{...}`, `NewT(...)`, `pkg.NewT(...)`, string literals.
fn infer(t: &Toks<'_>, i: usize) -> Option<String> {
    if t.kind(i) == Some(Tok::Str) {
        return Some("string".into());
    }
    let i = if t.is(i, "&") { i + 1 } else { i };
    let (name, end) = type_name(t, i, true)?;
    if t.is(end, "{") {
        return Some(name);
    }
    let last = name.rsplit('.').next().unwrap_or(&name);
    let made = last
        .strip_prefix("New")
        .filter(|rest| !rest.is_empty() && t.is(end, "("))?;
    Some(made.to_owned())
}
