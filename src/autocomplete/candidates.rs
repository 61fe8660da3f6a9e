//! What fits at the cursor, each with a score: snippets whose trigger the
//! line ends with (or starts to spell), import lists, members of a
//! receiver, and names — the document's own above the language's.

use super::context::Context;
use super::lang::{Place, Spec};
use super::members::{library_entry, members, type_members};
use super::snippet::{Fill, first_line, render};
use super::symbols::Symbols;
use super::{Kind, lex};

pub(crate) struct Candidate {
    pub text: String,
    pub label: String,
    pub kind: Kind,
    pub score: f64,
    pub description: String,
    /// Bytes before the cursor the text replaces.
    pub replace_before: usize,
    /// Bytes after the cursor it types over.
    pub replace_after: usize,
}

impl Candidate {
    /// A name continuing the word; one matched without regard to case
    /// replaces the word, so its case wins.
    pub(crate) fn word(
        ctx: &Context<'_>,
        name: &str,
        kind: Kind,
        score: f64,
        description: String,
    ) -> Self {
        let (text, replace_before) = match name.strip_prefix(ctx.word) {
            Some(rest) => (rest.to_owned(), 0),
            None => (name.to_owned(), ctx.word.len()),
        };
        Self {
            text,
            label: name.to_owned(),
            kind,
            score,
            description,
            replace_before,
            replace_after: 0,
        }
    }
}

/// How well `name` continues `word`: `None` when it does not, or is it.
pub(crate) fn matches(name: &str, word: &str) -> Option<f64> {
    if name.len() <= word.len() || !name.is_char_boundary(word.len()) {
        return None;
    }
    let coverage = 0.1 * word.len() as f64 / name.len() as f64;
    if name.starts_with(word) {
        Some(coverage)
    } else if name[..word.len()].eq_ignore_ascii_case(word) {
        Some(coverage - 0.15)
    } else {
        None
    }
}

pub(crate) fn snippets(
    ctx: &Context<'_>,
    spec: &'static Spec,
    sym: &Symbols,
    fill: &Fill,
    out: &mut Vec<Candidate>,
) {
    let at = ctx.at as u32;
    let in_type = sym.in_type_body(at);
    // An extension's snippets (TypeScript's, C++'s) before its base's.
    let chain = spec
        .chain()
        .enumerate()
        .flat_map(|(depth, s)| s.snippets.iter().map(move |s| (depth, s)));
    for (depth, s) in chain {
        let fits = match s.place {
            Place::Statement | Place::Anywhere => true,
            Place::InType => in_type,
            Place::OutsideType => !in_type,
            Place::InTypeLacking(name) => {
                let name = if name == "$TYPE" { fill.ty() } else { name };
                in_type
                    && sym
                        .enclosing_type(at)
                        .is_some_and(|ty| !sym.has_member(ty, name))
            }
            Place::Lacking(name) => !in_type && !sym.defs.iter().any(|d| sym.name(d) == name),
        };
        if !fits {
            continue;
        }
        let statement = s.place != Place::Anywhere;
        let (typed, score) = if let Some(before) = ctx.line.strip_suffix(s.trigger) {
            let bounded = !s
                .trigger
                .starts_with(|c| lex::is_ident_char(c, spec.lexical))
                || !before.ends_with(|c| lex::is_ident_char(c, spec.lexical));
            let alone = before.trim().is_empty() || before.trim() == "}";
            if !bounded || (statement && !alone) {
                continue;
            }
            (s.trigger.len(), s.confidence - 0.01 * depth as f64)
        } else if !s.replace
            && !ctx.word.is_empty()
            && ctx.statement.len() < s.trigger.len()
            && s.trigger.starts_with(ctx.statement)
        {
            let typed = ctx.statement.len();
            let partial = 0.15 * (1.0 - typed as f64 / s.trigger.len() as f64);
            (typed, s.confidence - partial - 0.01 * depth as f64)
        } else {
            continue;
        };
        let body = render(s.body, ctx.indent, &sym.indent, fill);
        let (text, label, replace_before) = if s.replace {
            (body.clone(), first_line(&body).to_owned(), typed)
        } else {
            let rest = &s.trigger[typed.min(s.trigger.len())..];
            let text = format!("{rest}{body}");
            let label = format!("{}{}", s.trigger, first_line(&body));
            (text, label, 0)
        };
        out.push(Candidate {
            replace_after: types_over(ctx, &text),
            text,
            label,
            kind: Kind::Snippet,
            score,
            description: s.description.to_owned(),
            replace_before,
        });
    }
}

/// Bytes after the cursor that `text` types over: the brackets and quotes
/// an editor closed by itself, when they are all the line holds and the
/// text brings its own.
fn types_over(ctx: &Context<'_>, text: &str) -> usize {
    let closers = ctx.rest.trim_end();
    let only_closers = !closers.is_empty() && closers.chars().all(|c| ")]}>\"'`".contains(c));
    if only_closers && text.contains(closers) {
        closers.len()
    } else {
        0
    }
}

/// After an import keyword: the list's names. True when the line is one,
/// so no other names are offered.
pub(crate) fn imports(
    ctx: &Context<'_>,
    spec: &'static Spec,
    sym: &Symbols,
    out: &mut Vec<Candidate>,
) -> bool {
    let mut matched = false;
    let chain = spec
        .chain()
        .enumerate()
        .flat_map(|(depth, s)| s.imports.iter().map(move |l| (depth, l)));
    for (depth, list) in chain {
        // `import ` starts a statement; `require(` may come anywhere.
        let anywhere = list.trigger.ends_with('(');
        let Some(before) = ctx
            .line
            .strip_suffix(ctx.word)
            .and_then(|l| l.strip_suffix(list.trigger))
        else {
            continue;
        };
        let bounded = !before.ends_with(|c| lex::is_ident_char(c, spec.lexical));
        if !bounded || (!anywhere && !before.trim().is_empty()) {
            continue;
        }
        matched = true;
        for (n, (item, description)) in list.items.iter().enumerate() {
            let Some(fit) = matches(item, ctx.word).or((ctx.word.is_empty()).then_some(0.0)) else {
                continue;
            };
            let module = item
                .split([' ', ';', '>', ':'])
                .next()
                .unwrap_or(item)
                .trim_matches('"');
            let imported = sym.imports.iter().any(|i| &**i == module);
            let score = if imported {
                0.35
            } else {
                0.8 - 0.01 * n as f64
            } + fit
                - 0.05 * depth as f64;
            let text = item[ctx.word.len()..].to_owned();
            out.push(Candidate {
                replace_after: types_over(ctx, &text),
                text,
                label: (*item).to_owned(),
                kind: Kind::Module,
                score,
                description: (*description).to_owned(),
                replace_before: 0,
            });
        }
    }
    // Python's `from module import name`: the module's members.
    if let Some(module) = ctx
        .statement
        .strip_prefix("from ")
        .and_then(|r| r.strip_suffix(ctx.word))
        .and_then(|r| r.strip_suffix(" import "))
        && spec.id == "python"
        && !module.contains(' ')
    {
        members(ctx, spec, sym, module.trim(), ".", out);
        return true;
    }
    matched
}

/// Names continuing the word: the document's definitions (nearest first),
/// its other words, the language's keywords and library names.
pub(crate) fn names(
    ctx: &Context<'_>,
    spec: &'static Spec,
    sym: &Symbols,
    out: &mut Vec<Candidate>,
) {
    let word = ctx.word;
    let at = ctx.at;
    let word_start = at - word.len();
    let function = sym
        .scopes_at(at as u32)
        .filter(|s| s.kind == super::symbols::ScopeKind::Function)
        .last();
    let empty = word.is_empty();
    // With nothing typed every definition fits: only the nearest count.
    let nearest = sym.defs.partition_point(|d| (d.at as usize) < at);
    let defs: Box<dyn Iterator<Item = &super::symbols::Def>> = if empty {
        let before = sym.defs[..nearest].iter().rev().take(48);
        Box::new(before.chain(sym.defs[nearest..].iter().take(16)))
    } else {
        Box::new(sym.defs.iter())
    };
    for d in defs {
        if d.at as usize == word_start {
            continue;
        }
        let Some(fit) = (if empty {
            Some(0.0)
        } else {
            matches(sym.name(d), word)
        }) else {
            continue;
        };
        let distance = (d.at as f64 - at as f64).abs();
        let near = if (d.at as usize) < at { 0.1 } else { 0.03 } * (-distance / 4000.0).exp();
        let local = function.is_some_and(|f| f.start <= d.at && d.at <= f.end);
        let base = match d.kind {
            Kind::Variable | Kind::Constant => 0.74,
            Kind::Module => 0.72,
            _ => 0.78,
        };
        let score = if empty {
            0.3 + near
        } else {
            base + near + if local { 0.05 } else { 0.0 } + fit
        };
        let what = describe(d.kind);
        out.push(Candidate::word(
            ctx,
            sym.name(d),
            d.kind,
            score,
            format!("{what} defined in this document"),
        ));
    }
    if empty {
        return;
    }
    if matches!(spec.id, "java" | "cpp")
        && let Some(ty) = sym.enclosing_type(at as u32)
    {
        for (m, _) in type_members(sym, ty) {
            if let Some(fit) = matches(&m.name, word) {
                out.push(Candidate::word(
                    ctx,
                    &m.name,
                    m.kind,
                    0.8 + fit,
                    format!("Member of {ty}"),
                ));
            }
        }
    }
    for (name, count) in sym.words() {
        if let Some(fit) = matches(name, word) {
            let score = 0.62 + 0.02 * f64::from(count).ln() + fit;
            out.push(Candidate::word(
                ctx,
                name,
                Kind::Variable,
                score,
                "Used in this document".into(),
            ));
        }
    }
    for s in spec.chain() {
        for kw in s.keywords {
            if let Some(fit) = matches(kw, word) {
                out.push(Candidate::word(
                    ctx,
                    kw,
                    Kind::Keyword,
                    0.5 + fit,
                    format!("{} keyword", spec.id),
                ));
            }
        }
        for (n, entry) in s.builtins.iter().enumerate() {
            let (name, kind) = library_entry(entry, false);
            if let Some(fit) = matches(name, word) {
                let score = 0.49 - 0.001 * n as f64 + fit;
                out.push(Candidate::word(
                    ctx,
                    name,
                    kind,
                    score,
                    format!("Built in: {entry}"),
                ));
            }
        }
    }
}

fn describe(kind: Kind) -> &'static str {
    match kind {
        Kind::Function => "Function",
        Kind::Method => "Method",
        Kind::Class => "Class",
        Kind::Struct => "Struct",
        Kind::Interface => "Interface",
        Kind::Enum => "Enum",
        Kind::Constant => "Constant",
        Kind::Module => "Import",
        Kind::Type => "Type",
        _ => "Variable",
    }
}
