//! JavaScript and TypeScript: classes (methods, fields, `this.x = ...`),
//! interfaces, enums, functions and their parameters, `const`/`let`/`var`
//! (destructuring too), imports, and the types `new X()`, literals and
//! annotations show.

use super::brace::{Walker, list_items};
use super::{Toks, type_name};
use crate::autocomplete::Kind;
use crate::autocomplete::lex::Tok;
use crate::autocomplete::symbols::{Builder, ScopeKind};

#[rustfmt::skip]
fn is_modifier(word: &str) -> bool {
    matches!(word,
        "static" | "async" | "get" | "set" | "public" | "private" | "protected" | "readonly" |
        "abstract" | "override" | "declare" | "#" | "*")
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
        let next = if w.in_type() {
            let owner = b.owner().unwrap_or_default().to_owned();
            member(t, i, b, &mut w, &owner, enums.contains(&owner))
        } else {
            statement(t, i, b, &mut w, &mut enums)
        };
        i = next.max(i + 1);
    }
}

fn statement(
    t: &Toks<'_>,
    i: usize,
    b: &mut Builder,
    w: &mut Walker,
    enums: &mut Vec<String>,
) -> usize {
    match t.text(i) {
        kw @ ("class" | "interface" | "enum") if t.kind(i) == Some(Tok::Ident) => {
            let Some(name) = t.ident(i + 1).filter(|n| *n != "extends") else {
                return i + 1;
            };
            let kind = match kw {
                "class" => Kind::Class,
                "interface" => Kind::Interface,
                _ => Kind::Enum,
            };
            b.def(name, kind, t.start(i + 1));
            if kw == "enum" {
                enums.push(name.to_owned());
            }
            let mut j = i + 2;
            while j < t.len() && !t.is(j, "{") && !t.is(j, ";") {
                if t.is(j, "extends")
                    && let Some((base, _)) = type_name(t, j + 1, false)
                {
                    b.base(name, &base);
                }
                j += 1;
            }
            w.expect(ScopeKind::Type, Some(name), Some("this"));
            j
        }
        "type" if t.ident(i + 1).is_some() && t.is(i + 2, "=") => {
            b.def(t.text(i + 1), Kind::Type, t.start(i + 1));
            i + 2
        }
        "function" => {
            let name_at = if t.is(i + 1, "*") { i + 2 } else { i + 1 };
            if let Some(name) = t.ident(name_at) {
                b.def(name, Kind::Function, t.start(name_at));
            }
            let open = (name_at..name_at + 2)
                .find(|&k| t.is(k, "("))
                .unwrap_or(name_at);
            let close = params(t, open, b, None);
            w.expect(ScopeKind::Function, None, None);
            close
        }
        "const" | "let" | "var" => declaration(t, i, b),
        "import" if t.kind(i + 1) != Some(Tok::Punct) || t.is(i + 1, "{") || t.is(i + 1, "*") => {
            import(t, i, b)
        }
        "=>" if t.is(i + 1, "{") => {
            let owner = b.owner().map(str::to_owned);
            w.expect(ScopeKind::Function, owner.as_deref(), Some("this"));
            i + 1
        }
        "this" if t.is(i + 1, ".") && t.ident(i + 2).is_some() && t.is(i + 3, "=") => {
            if let Some(owner) = b.owner().map(str::to_owned) {
                let ty = infer(t, i + 4);
                b.member(&owner, t.text(i + 2), Kind::Field, false, ty.as_deref());
            }
            i + 3
        }
        _ => i + 1,
    }
}

/// A declaration directly in a class, interface or enum body.
fn member(
    t: &Toks<'_>,
    mut i: usize,
    b: &mut Builder,
    w: &mut Walker,
    owner: &str,
    is_enum: bool,
) -> usize {
    while is_modifier(t.text(i)) && (t.ident(i + 1).is_some() || t.is(i + 1, "#")) {
        i += 1;
    }
    let Some(name) = t.ident(i) else { return i + 1 };
    if is_enum {
        b.member(owner, name, Kind::Constant, true, None);
        return i + 1;
    }
    let next = t.text(i + 1);
    match next {
        "(" | "<" => {
            let open = if next == "<" {
                t.matching(i + 1) + 1
            } else {
                i + 1
            };
            if name == "constructor" {
                let close = params(t, open, b, Some(owner));
                w.expect(ScopeKind::Function, Some(owner), Some("this"));
                return close;
            }
            b.member(owner, name, Kind::Method, false, None);
            let close = params(t, open, b, None);
            w.expect(ScopeKind::Function, Some(owner), Some("this"));
            close
        }
        "=" | ":" | "?" | "!" | ";" => {
            let arrow = t.is(i + 1, "=") && (i + 2..i + 12).any(|k| t.is(k, "=>"));
            let ty = match next {
                "=" => infer(t, i + 2),
                ":" => annotation(t, i + 2),
                _ if t.is(i + 2, ":") => annotation(t, i + 3),
                _ => None,
            };
            let kind = if arrow { Kind::Method } else { Kind::Field };
            b.member(owner, name, kind, false, ty.as_deref());
            end_of_field(t, i + 1)
        }
        _ => i + 1,
    }
}

/// `(a, b: T, {c}, ...d)`: parameters as variables; with `fields_of`, a
/// TypeScript constructor's `private x: T` also becomes a field.
fn params(t: &Toks<'_>, open: usize, b: &mut Builder, fields_of: Option<&str>) -> usize {
    if !t.is(open, "(") {
        return open;
    }
    let (_, close) = list_items(t, open, |s, e| {
        let property = fields_of.is_some() && is_modifier(t.text(s));
        let first = (s..e).find(|&k| t.ident(k).is_some() && !is_modifier(t.text(k)))?;
        let ty = t
            .is(first + 1, ":")
            .then(|| annotation(t, first + 2))
            .flatten();
        let name = t.text(first);
        b.def(name, Kind::Variable, t.start(first));
        if let Some(ty) = &ty {
            b.var_type(name, ty);
        }
        if let (true, Some(owner)) = (property, fields_of) {
            b.member(owner, name, Kind::Field, false, ty.as_deref());
        }
        Some(first)
    });
    close
}

/// Past a field's type and initialiser: its `;`, or the next line at the
/// same bracket depth (fields without semicolons), or the body's `}`.
fn end_of_field(t: &Toks<'_>, from: usize) -> usize {
    let mut depth = 0usize;
    for k in from..t.len() {
        if depth == 0 && k > from && (t.is(k, ";") || t.starts_line(k)) {
            return k;
        }
        match t.text(k) {
            "(" | "[" | "{" if t.kind(k) == Some(Tok::Punct) => depth += 1,
            ")" | "]" | "}" if t.kind(k) == Some(Tok::Punct) => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return k,
            },
            _ => {}
        }
    }
    t.len()
}

fn declaration(t: &Toks<'_>, i: usize, b: &mut Builder) -> usize {
    let constant = t.is(i, "const");
    if t.is(i + 1, "{") || t.is(i + 1, "[") {
        let (_, close) = list_items(t, i + 1, |s, e| {
            let renamed = (s..e).find(|&k| t.is(k, ":")).map(|k| k + 1);
            let k = (renamed.unwrap_or(s)..e).find(|&k| t.ident(k).is_some())?;
            b.def(t.text(k), Kind::Variable, t.start(k));
            Some(k)
        });
        return close + 1;
    }
    let Some(name) = t.ident(i + 1) else {
        return i + 1;
    };
    let (ty, value) = if t.is(i + 2, ":") {
        let ty = annotation(t, i + 3);
        let eq = (i + 3..i + 12).find(|&k| t.is(k, "=") || t.is(k, ";"));
        (ty, eq.filter(|&k| t.is(k, "=")).map(|k| k + 1))
    } else if t.is(i + 2, "=") {
        (infer(t, i + 3), Some(i + 3))
    } else {
        (None, None)
    };
    let function = value.is_some_and(|v| {
        t.is(v, "function")
            || (t.is(v, "async") && (t.is(v + 1, "(") || t.is(v + 1, "function")))
            || (t.is(v, "(") && t.is(t.matching(v) + 1, "=>"))
            || (t.ident(v).is_some() && t.is(v + 1, "=>"))
    });
    let upper = name.len() > 1
        && name
            .chars()
            .all(|c| c.is_uppercase() || c == '_' || c.is_ascii_digit());
    let kind = if function {
        Kind::Function
    } else if constant && upper {
        Kind::Constant
    } else {
        Kind::Variable
    };
    b.def(name, kind, t.start(i + 1));
    if let Some(ty) = ty {
        b.var_type(name, &ty);
    }
    i + 2
}

fn import(t: &Toks<'_>, i: usize, b: &mut Builder) -> usize {
    let mut j = i + 1;
    while j < t.len() && !t.is(j, ";") && !t.is(j, "from") {
        if t.is(j, "{") {
            let (_, close) = list_items(t, j, |s, e| {
                let k = (s..e).rev().find(|&k| t.ident(k).is_some())?;
                let upper = t.text(k).chars().next().is_some_and(char::is_uppercase);
                b.def(
                    t.text(k),
                    if upper { Kind::Class } else { Kind::Function },
                    t.start(k),
                );
                Some(k)
            });
            j = close;
        } else if t.is(j, "as") && t.ident(j + 1).is_some() {
            b.def(t.text(j + 1), Kind::Module, t.start(j + 1));
            j += 1;
        } else if let Some(name) = t.ident(j).filter(|_| !t.is(j + 1, "as") && j == i + 1) {
            b.def(name, Kind::Module, t.start(j));
        }
        j += 1;
    }
    if t.is(j, "from") && t.kind(j + 1) == Some(Tok::Str) {
        let quoted = t.text(j + 1);
        b.import(quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or(""));
    }
    j
}

/// A TypeScript annotation's type, with primitives named like their
/// wrapper objects (whose members they have).
fn annotation(t: &Toks<'_>, i: usize) -> Option<String> {
    let (ty, end) = type_name(t, i, false)?;
    let ty = match ty.as_str() {
        "string" => "String".to_owned(),
        "number" => "Number".to_owned(),
        _ if t.is(end, "[") => "Array".to_owned(),
        _ => ty,
    };
    Some(ty)
}

fn infer(t: &Toks<'_>, i: usize) -> Option<String> {
    match (t.kind(i)?, t.text(i)) {
        (Tok::Str, _) => Some("String".into()),
        (Tok::Punct, "[") => Some("Array".into()),
        (Tok::Punct, "{") => Some("Object".into()),
        (Tok::Ident, "new") => type_name(t, i + 1, false).map(|(ty, _)| ty),
        _ => None,
    }
}
