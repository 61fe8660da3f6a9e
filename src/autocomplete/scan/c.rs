//! C and C++: structs, unions, enums and classes (fields, methods,
//! constants; `typedef struct {...} Name;`), functions (and C++'s
//! `Type::method` definitions), parameters, variables with their declared
//! type, `#define`, `#include` and namespaces.

use super::brace::{Walker, list_items, statement_start};
use super::{Toks, type_name};
use crate::autocomplete::Kind;
use crate::autocomplete::lex::Tok;
use crate::autocomplete::symbols::{Builder, ScopeKind};

/// Words that start a statement, never a declaration's type.
#[rustfmt::skip]
fn starts_statement(word: &str) -> bool {
    matches!(word,
        "return" | "if" | "else" | "while" | "for" | "do" | "switch" | "case" | "goto" | "break" |
        "continue" | "sizeof" | "delete" | "new" | "throw" | "using" | "namespace" | "default" |
        "typedef" | "public" | "private" | "protected" | "template" | "co_return" | "operator" |
        "try" | "catch")
}

#[rustfmt::skip]
fn is_qualifier(word: &str) -> bool {
    matches!(word,
        "const" | "static" | "extern" | "inline" | "volatile" | "register" | "unsigned" | "signed" |
        "struct" | "union" | "enum" | "class" | "virtual" | "explicit" | "constexpr" | "mutable" |
        "friend" | "long" | "short" | "typename")
}

#[derive(Default)]
struct State {
    enums: Vec<String>,
    /// A `typedef` whose body is open: the struct's name; the alias comes
    /// after its `}`.
    typedefs: Vec<String>,
    anonymous: usize,
}

pub(super) fn scan(t: &Toks<'_>, b: &mut Builder) {
    let mut w = Walker::default();
    let mut st = State::default();
    let mut i = 0;
    while i < t.len() {
        if let Some(closed) = w.step(t, i, b) {
            let owner = closed.and_then(|s| s.owner).map(String::from);
            if let Some(pos) = owner.and_then(|o| st.typedefs.iter().position(|n| *n == o)) {
                let name = st.typedefs.remove(pos);
                if let Some(alias) = t.ident(i + 1).filter(|_| t.is(i + 2, ";")) {
                    b.def(alias, Kind::Type, t.start(i + 1));
                    let info = b
                        .symbols
                        .types
                        .get(name.as_str())
                        .cloned()
                        .unwrap_or_default();
                    b.symbols.types.insert(alias.into(), info);
                }
            }
            i += 1;
            continue;
        }
        let next = if let Some(next) = record(t, i, b, &mut w, &mut st) {
            next
        } else if w.in_type() {
            let owner = b.owner().unwrap_or_default().to_owned();
            if st.enums.contains(&owner) {
                enumerator(t, i, b, &owner)
            } else {
                declaration(t, i, b, &mut w, Some(&owner))
            }
        } else {
            directive(t, i, b).unwrap_or_else(|| declaration(t, i, b, &mut w, None))
        };
        i = next.max(i + 1);
    }
}

/// `struct|union|enum|class [Name] [: bases] {`.
fn record(
    t: &Toks<'_>,
    i: usize,
    b: &mut Builder,
    w: &mut Walker,
    st: &mut State,
) -> Option<usize> {
    let kind = match t.text(i) {
        "struct" | "union" => Kind::Struct,
        "class" => Kind::Class,
        "enum" => Kind::Enum,
        "namespace" => {
            let name = t.ident(i + 1)?;
            b.def(name, Kind::Module, t.start(i + 1));
            return Some(i + 2);
        }
        _ => return None,
    };
    let mut j = i + 1;
    if t.is(j, "class") || t.is(j, "struct") {
        j += 1; // enum class
    }
    let named = t.ident(j).map(str::to_owned);
    let after = if named.is_some() { j + 1 } else { j };
    let opens = (after..after + 16)
        .take_while(|&k| !t.is(k, ";") && !t.is(k, "("))
        .find(|&k| t.is(k, "{"));
    let brace = opens?;
    let name = named.unwrap_or_else(|| {
        st.anonymous += 1;
        format!("<anonymous {}>", st.anonymous)
    });
    if !name.starts_with('<') {
        b.def(&name, kind, t.start(j));
    }
    for k in after..brace {
        if t.is(k, ":") || t.is(k, ",") {
            let k = if matches!(t.text(k + 1), "public" | "private" | "protected") {
                k + 2
            } else {
                k + 1
            };
            if let Some((base, _)) = type_name(t, k, false) {
                b.base(&name, &base);
            }
        }
    }
    if kind == Kind::Enum {
        st.enums.push(name.clone());
    }
    if (1..=2).any(|back| i >= back && t.is(i - back, "typedef")) {
        st.typedefs.push(name.clone());
    }
    w.expect(ScopeKind::Type, Some(&name), Some("this"));
    Some(brace)
}

fn enumerator(t: &Toks<'_>, i: usize, b: &mut Builder, owner: &str) -> usize {
    if let Some(name) = t.ident(i).filter(|_| t.is(i - 1, "{") || t.is(i - 1, ",")) {
        b.member(owner, name, Kind::Constant, true, None);
        b.def(name, Kind::Constant, t.start(i));
    }
    i + 1
}

/// `#include`, `#define`.
fn directive(t: &Toks<'_>, i: usize, b: &mut Builder) -> Option<usize> {
    if !t.is(i, "#") {
        return None;
    }
    match t.text(i + 1) {
        "include" => {
            let path = if t.kind(i + 2) == Some(Tok::Str) {
                t.text(i + 2).trim_matches('"').to_owned()
            } else {
                let close = (i + 2..i + 12).find(|&k| t.is(k, ">"))?;
                t.src[t.end(i + 2)..t.start(close)].to_owned()
            };
            b.import(&path);
            Some(i + 3)
        }
        "define" => {
            let name = t.ident(i + 2)?;
            let function = t.is(i + 3, "(") && t.end(i + 2) == t.start(i + 3);
            b.def(
                name,
                if function {
                    Kind::Function
                } else {
                    Kind::Constant
                },
                t.start(i + 2),
            );
            let line_end = t.src[t.start(i)..]
                .find('\n')
                .map_or(t.src.len(), |n| t.start(i) + n);
            Some(
                (i + 3..t.len())
                    .find(|&k| t.start(k) >= line_end)
                    .unwrap_or(t.len()),
            )
        }
        _ => Some(i + 2),
    }
}

/// `Type [*] name ...`: a function (definition or prototype), a method, a
/// field or a variable, by what follows the name.
fn declaration(
    t: &Toks<'_>,
    i: usize,
    b: &mut Builder,
    w: &mut Walker,
    owner: Option<&str>,
) -> usize {
    if t.kind(i) != Some(Tok::Ident) {
        return i + 1;
    }
    let starts = statement_start(t, i)
        || (t.is(i - 1, ":")
            && matches!(
                t.text(i.wrapping_sub(2)),
                "public" | "private" | "protected"
            ))
        || (t.is(i - 1, "(") && t.is(i.wrapping_sub(2), "for"));
    if !starts || t.kind(i) != Some(Tok::Ident) {
        return i + 1;
    }
    let mut j = i;
    while is_qualifier(t.text(j)) {
        j += 1;
    }
    if t.ident(j).is_none_or(starts_statement) {
        return i + 1;
    }
    // Constructors and destructors in a class body: `Name(` / `~Name(`.
    if let Some(owner) = owner {
        let at = if t.is(j, "~") { j + 1 } else { j };
        if t.ident(at) == Some(owner) && t.is(at + 1, "(") {
            let close = params(t, at + 1, b);
            w.expect(ScopeKind::Function, Some(owner), Some("this"));
            return close;
        }
    }
    let Some((mut ty, mut k)) = type_name(t, j, false) else {
        return i + 1;
    };
    if t.is(k, "<") {
        k = t.matching(k) + 1;
    }
    while matches!(t.text(k), "*" | "&" | "const" | "&&") {
        k += 1;
    }
    let Some(mut name) = t.ident(k) else {
        return i + 1;
    };
    let mut class = owner.map(str::to_owned);
    // C++ out-of-line definitions: `Type Class::method(`.
    if t.is(k + 1, "::") && t.ident(k + 2).is_some() {
        class = Some(name.to_owned());
        k += 2;
        name = t.text(k);
    }
    if t.is(k + 1, "(") {
        let close = params(t, k + 1, b);
        match (&class, owner) {
            (Some(c), _) => b.member(c, name, Kind::Method, false, Some(&ty)),
            (None, _) => b.def(name, Kind::Function, t.start(k)),
        }
        w.expect(ScopeKind::Function, class.as_deref(), Some("this"));
        return close;
    }
    if !matches!(t.text(k + 1), "=" | ";" | "," | "[" | ":" | "{" | ")") {
        return i + 1;
    }
    if ty == "auto" {
        ty = t
            .is(k + 1, "=")
            .then(|| type_name(t, k + 2, false))
            .flatten()
            .map(|(ty, _)| ty)
            .unwrap_or_default();
    }
    let ty = (!ty.is_empty()).then_some(ty);
    match owner {
        Some(owner) => b.member(owner, name, Kind::Field, false, ty.as_deref()),
        None => {
            b.def(name, Kind::Variable, t.start(k));
            if let Some(ty) = &ty {
                b.var_type(name, ty);
            }
        }
    }
    k + 1
}

fn params(t: &Toks<'_>, open: usize, b: &mut Builder) -> usize {
    let (_, close) = list_items(t, open, |s, e| {
        let name = (s..e)
            .rev()
            .find(|&k| t.ident(k).is_some() && !t.is(k + 1, "::"))?;
        if name == s || t.is(name + 1, "(") {
            return None;
        }
        let first = (s..name).find(|&k| !is_qualifier(t.text(k)))?;
        b.def(t.text(name), Kind::Variable, t.start(name));
        if let Some((ty, _)) = type_name(t, first, false) {
            b.var_type(t.text(name), &ty);
        }
        Some(name)
    });
    close
}
