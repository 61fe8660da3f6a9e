//! Brace-delimited scopes, shared by the C-like families: a declaration
//! header sets what the next `{` opens; `}` closes it; unbalanced braces
//! (code being typed) never fail, open scopes end at the end of the text.

use super::Toks;
use crate::autocomplete::symbols::{Builder, Scope, ScopeKind};

/// What the next `{` opens.
pub(crate) struct Pending {
    pub kind: ScopeKind,
    pub owner: Option<String>,
    pub receiver: Option<String>,
}

#[derive(Default)]
pub(crate) struct Walker {
    pub pending: Option<Pending>,
    /// Per open brace: the scope it opened, if any.
    stack: Vec<Option<ScopeKind>>,
}

impl Walker {
    pub fn expect(&mut self, kind: ScopeKind, owner: Option<&str>, receiver: Option<&str>) {
        self.pending = Some(Pending {
            kind,
            owner: owner.map(Into::into),
            receiver: receiver.map(Into::into),
        });
    }

    /// Handles `{`, `}` and `;` at `i`. Returns `None` when the token is
    /// none of them, else the scope a `}` closed (if it closed one).
    pub fn step(&mut self, t: &Toks<'_>, i: usize, b: &mut Builder) -> Option<Option<Scope>> {
        // One look at the token for the three questions below.
        let brace_or_semicolon = matches!(t.punct_byte(i), Some(b'{' | b'}' | b';'));
        if !brace_or_semicolon {
            return None;
        }
        if t.is(i, "{") {
            match self.pending.take() {
                Some(p) => {
                    b.open(
                        p.kind,
                        p.owner.as_deref(),
                        p.receiver.as_deref(),
                        t.start(i),
                    );
                    self.stack.push(Some(p.kind));
                }
                None => self.stack.push(None),
            }
            Some(None)
        } else if t.is(i, "}") {
            match self.stack.pop() {
                Some(Some(_)) => Some(b.close(t.end(i))),
                _ => Some(None),
            }
        } else if t.is(i, ";") {
            self.pending = None;
            Some(None)
        } else {
            None
        }
    }

    /// Directly in a type body (the innermost brace opened a type scope)?
    pub fn in_type(&self) -> bool {
        matches!(self.stack.last(), Some(Some(ScopeKind::Type)))
    }
}

/// Token `i` starts a statement or declaration.
pub(crate) fn statement_start(t: &Toks<'_>, i: usize) -> bool {
    i == 0 || matches!(t.text(i - 1), ";" | "{" | "}") || (t.is(i - 1, ")") && t.starts_line(i))
}

/// The identifiers of a comma-separated list between `open` and its
/// matching bracket, taking from each item the word `pick` chooses.
pub(crate) fn list_items<'a>(
    t: &Toks<'a>,
    open: usize,
    mut pick: impl FnMut(usize, usize) -> Option<usize>,
) -> (Vec<usize>, usize) {
    let close = t.matching(open);
    let mut items = Vec::new();
    let mut start = open + 1;
    let mut depth = 0usize;
    for i in open + 1..=close.min(t.len()) {
        let end = i == close;
        if !end {
            match t.text(i) {
                "(" | "[" | "{" | "<" => depth += 1,
                ")" | "]" | "}" | ">" => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        if end || (depth == 0 && t.is(i, ",")) {
            if start < i
                && let Some(found) = pick(start, i)
            {
                items.push(found);
            }
            start = i + 1;
        }
    }
    (items, close)
}
