//! Members after `.`, `::` or `->`: of the receiver's type as the
//! document declares it (its own members before inherited ones), as a
//! library names them (`os.path.`, a `Vec`'s methods), and as the document
//! uses them with that receiver.

use super::Kind;
use super::candidates::{Candidate, matches};
use super::context::Context;
use super::lang::Spec;
use super::symbols::{Member, Symbols};

/// The kind a library table's notation says: `f()` function, `Name`
/// type, `NAME` constant.
pub(crate) fn library_entry(entry: &str, member: bool) -> (&str, Kind) {
    if let Some(name) = entry.strip_suffix("()") {
        return (name, if member { Kind::Method } else { Kind::Function });
    }
    let upper = entry.chars().next().is_some_and(char::is_uppercase);
    let all_upper = entry.len() > 1
        && entry
            .chars()
            .all(|c| c.is_uppercase() || c == '_' || c.is_ascii_digit());
    let kind = if all_upper {
        Kind::Constant
    } else if upper {
        Kind::Class
    } else if member {
        Kind::Field
    } else {
        Kind::Variable
    };
    (entry, kind)
}

/// Members of `receiver`: of its type as the document declares it, as a
/// library names them, and as the document uses them.
pub(crate) fn members(
    ctx: &Context<'_>,
    spec: &'static Spec,
    sym: &Symbols,
    receiver: &str,
    op: &str,
    out: &mut Vec<Candidate>,
) {
    let word = ctx.word;
    let (ty, through_type) = resolve(sym, spec, ctx.at as u32, receiver);
    if let Some(ty) = &ty {
        for (order, (m, depth)) in type_members(sym, ty).into_iter().enumerate() {
            let wanted = match (spec.id, op) {
                ("rust", "::") | ("cpp", "::") => m.assoc,
                ("rust", _) => !m.assoc,
                _ => !through_type || m.assoc || m.kind == Kind::Method,
            };
            let Some(fit) = matches(&m.name, word).or(word.is_empty().then_some(0.0)) else {
                continue;
            };
            if !wanted {
                continue;
            }
            let base = match m.kind {
                Kind::Field => 0.9,
                Kind::Constant => 0.88,
                _ => 0.87,
            };
            let what = match m.kind {
                Kind::Field => "Field",
                Kind::Constant => "Constant",
                Kind::Method => "Method",
                _ => "Associated function",
            };
            let description = match &m.ty {
                Some(t) => format!("{what} of {ty}: {t}"),
                None => format!("{what} of {ty}"),
            };
            // Own members before inherited ones, each in declaration order.
            let inherited = 0.02 * depth as f64 + 0.0001 * order as f64;
            out.push(Candidate::word(
                ctx,
                &m.name,
                m.kind,
                base - inherited + fit,
                description,
            ));
        }
        if let Some(table) = spec.members_of(&format!("#{ty}")) {
            library(ctx, table, &format!("{ty} value"), true, 0.76, out);
        }
    }
    if let Some(table) = spec.members_of(receiver) {
        library(ctx, table, receiver, false, 0.78, out);
    }
    if let Some(seen) = sym.observed.get(receiver) {
        for (name, &count) in seen {
            let Some(fit) = matches(name, word).or(word.is_empty().then_some(0.0)) else {
                continue;
            };
            let score = 0.8 + 0.02 * f64::from(count).ln() + fit;
            let description = format!("Used with {receiver} in this document");
            out.push(Candidate::word(ctx, name, Kind::Field, score, description));
        }
    }
}

/// A library table's entries: a value's members (`value`) or a module's.
fn library(
    ctx: &Context<'_>,
    table: &[&str],
    owner: &str,
    value: bool,
    base: f64,
    out: &mut Vec<Candidate>,
) {
    for (n, entry) in table.iter().enumerate() {
        let (name, kind) = library_entry(entry, value);
        let Some(fit) = matches(name, ctx.word).or(ctx.word.is_empty().then_some(0.0)) else {
            continue;
        };
        let call = if entry.ends_with("()") { "()" } else { "" };
        let description = format!("{owner}.{name}{call}");
        out.push(Candidate::word(
            ctx,
            name,
            kind,
            base - 0.003 * n as f64 + fit,
            description,
        ));
    }
}

/// The document type a receiver path stands for, and whether the path
/// names the type itself (`Color::`) rather than a value of it.
fn resolve(sym: &Symbols, spec: &'static Spec, at: u32, receiver: &str) -> (Option<String>, bool) {
    let mut segments = receiver
        .split(['.', ':', '-', '>'])
        .filter(|s| !s.is_empty());
    let Some(first) = segments.next() else {
        return (None, false);
    };
    let receiver_scope = sym
        .scopes_at(at)
        .filter(|s| s.receiver.as_deref() == Some(first))
        .last();
    let (mut ty, mut through_type) = if spec.self_names.contains(&first) || receiver_scope.is_some()
    {
        let owner = receiver_scope
            .and_then(|s| s.owner.as_deref())
            .or_else(|| sym.enclosing_type(at));
        (owner.map(str::to_owned), first == "Self")
    } else if let Some(t) = sym.var_types.get(first) {
        (Some(t.to_string()), false)
    } else if sym.types.contains_key(first) {
        (Some(first.to_owned()), true)
    } else {
        (None, false)
    };
    for segment in segments {
        let next = ty.as_deref().and_then(|t| {
            type_members(sym, t)
                .into_iter()
                .map(|(m, _)| m)
                .find(|m| &*m.name == segment)
        });
        ty = next.and_then(|m| m.ty.as_deref().map(str::to_owned));
        through_type = false;
    }
    (ty, through_type)
}

/// A document type's members, then its bases' (a few levels, no cycles),
/// each with how many levels up it was found.
pub(crate) fn type_members<'s>(sym: &'s Symbols, ty: &str) -> Vec<(&'s Member, usize)> {
    let mut out = Vec::new();
    let mut queue = std::collections::VecDeque::from([(ty.to_owned(), 0)]);
    let mut seen = Vec::new();
    while let Some((t, depth)) = queue.pop_front() {
        if seen.contains(&t) || seen.len() > 6 {
            continue;
        }
        if let Some(info) = sym.types.get(t.as_str()) {
            out.extend(info.members.iter().map(|m| (m, depth)));
            queue.extend(info.bases.iter().map(|b| (b.to_string(), depth + 1)));
        }
        seen.push(t);
    }
    out
}
