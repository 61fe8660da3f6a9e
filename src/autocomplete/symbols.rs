//! What one scan of a document found: definitions, types and their
//! members, scopes, the members each receiver is seen with, and where the
//! strings and comments are. Built once per document version (see
//! `cache`), then only read.

use foldhash::HashMap;

use super::Kind;

/// A definition; its name is in [`Symbols::name`].
#[derive(Debug, Clone)]
pub(crate) struct Def {
    name: (u32, u32),
    pub kind: Kind,
    /// Byte offset of the name.
    pub at: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub name: Box<str>,
    pub kind: Kind,
    /// Reached through the type (`Type::f`, enum variants), not a value.
    pub assoc: bool,
    /// The member's type, when the declaration shows it.
    pub ty: Option<Box<str>>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct TypeInfo {
    pub members: Vec<Member>,
    pub bases: Vec<Box<str>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScopeKind {
    /// A class, struct, trait, interface or impl body.
    Type,
    Function,
}

#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub kind: ScopeKind,
    /// The type a `Type` scope is about, or a method's owner type.
    pub owner: Option<Box<str>>,
    /// A method's name for its instance (Go's receiver, Python's `self`).
    pub receiver: Option<Box<str>>,
    pub start: u32,
    pub end: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Symbols {
    /// In text order.
    pub defs: Vec<Def>,
    /// Identifiers (keywords excluded) and how often each occurs, as spans
    /// of `names`.
    words: Vec<(u32, u32, u32)>,
    /// Every definition's and word's name, end to end: one allocation
    /// instead of one per name (a scan runs on every keystroke).
    names: String,
    pub types: HashMap<Box<str>, TypeInfo>,
    /// Receiver as written (`np`, `self.items`, `std::fs`) → its members
    /// seen in the text, with counts.
    pub observed: HashMap<Box<str>, HashMap<Box<str>, u32>>,
    /// Variable → type, from declarations, annotations and initialisers.
    pub var_types: HashMap<Box<str>, Box<str>>,
    /// Sorted by start; nested scopes follow their parent.
    pub scopes: Vec<Scope>,
    /// Strings and comments: (start, end, runs to the end of its line/text).
    pub quiet: Vec<(u32, u32, bool)>,
    pub imports: Vec<Box<str>>,
    /// The document's indentation unit.
    pub indent: Box<str>,
}

impl Symbols {
    /// Bytes this table holds, roughly: what the cache charges for it.
    pub fn weight(&self) -> usize {
        let name = |s: &str| s.len() + 24;
        let defs = self.defs.len() * 16 + self.words.len() * 12 + self.names.len();
        let types: usize = self
            .types
            .iter()
            .map(|(k, t)| name(k) + t.members.iter().map(|m| name(&m.name) + 40).sum::<usize>())
            .sum();
        let observed: usize = self
            .observed
            .iter()
            .map(|(k, m)| name(k) + m.keys().map(|w| name(w) + 8).sum::<usize>())
            .sum();
        let vars: usize = self.var_types.iter().map(|(k, v)| name(k) + name(v)).sum();
        defs + types + observed + vars + self.scopes.len() * 48 + self.quiet.len() * 12 + 256
    }

    pub fn name(&self, d: &Def) -> &str {
        self.span(d.name)
    }

    /// Identifiers of the text and how often each occurs.
    pub fn words(&self) -> impl Iterator<Item = (&str, u32)> {
        self.words
            .iter()
            .map(|&(start, len, n)| (self.span((start, len)), n))
    }

    fn span(&self, (start, len): (u32, u32)) -> &str {
        self.names
            .get(start as usize..(start + len) as usize)
            .unwrap_or("")
    }

    fn intern(&mut self, name: &str) -> (u32, u32) {
        let start = self.names.len() as u32;
        self.names.push_str(name);
        (start, name.len() as u32)
    }

    /// Sets the word counts (done once, after the scan).
    pub fn set_words<'a>(&mut self, counts: impl Iterator<Item = (&'a str, u32)>) {
        let words = counts.map(|(w, n)| {
            let (start, len) = self.intern(w);
            (start, len, n)
        });
        self.words = words.collect();
    }

    /// Inside a string or comment?
    pub fn is_quiet(&self, at: u32) -> bool {
        let i = self.quiet.partition_point(|&(start, _, _)| start < at);
        i > 0 && {
            let (_, end, open) = self.quiet[i - 1];
            at < end || (open && at == end)
        }
    }

    /// Scopes containing `at`, innermost last.
    pub fn scopes_at(&self, at: u32) -> impl Iterator<Item = &Scope> {
        self.scopes
            .iter()
            .take_while(move |s| s.start < at)
            .filter(move |s| at <= s.end)
    }

    /// The type whose body (or method) contains `at`, innermost.
    pub fn enclosing_type(&self, at: u32) -> Option<&str> {
        self.scopes_at(at).filter_map(|s| s.owner.as_deref()).last()
    }

    /// Directly in a type body (not inside one of its methods)?
    pub fn in_type_body(&self, at: u32) -> bool {
        self.scopes_at(at)
            .last()
            .is_some_and(|s| s.kind == ScopeKind::Type)
    }

    pub fn has_member(&self, ty: &str, name: &str) -> bool {
        self.types
            .get(ty)
            .is_some_and(|t| t.members.iter().any(|m| &*m.name == name))
    }
}

/// What the language scanners call while they walk the tokens.
#[derive(Default)]
pub(crate) struct Builder {
    pub symbols: Symbols,
    open: Vec<usize>,
}

impl Builder {
    pub fn def(&mut self, name: &str, kind: Kind, at: usize) {
        if !name.is_empty() {
            let name = self.symbols.intern(name);
            self.symbols.defs.push(Def {
                name,
                kind,
                at: at as u32,
            });
        }
    }

    pub fn member(&mut self, ty: &str, name: &str, kind: Kind, assoc: bool, of: Option<&str>) {
        let info = self.symbols.types.entry(ty.into()).or_default();
        if let Some(m) = info.members.iter_mut().find(|m| &*m.name == name) {
            // A later, more telling declaration wins (a field over a use).
            if m.ty.is_none() {
                m.ty = of.map(Into::into);
            }
            if kind != Kind::Field {
                m.kind = kind;
            }
            return;
        }
        info.members.push(Member {
            name: name.into(),
            kind,
            assoc,
            ty: of.map(Into::into),
        });
    }

    pub fn base(&mut self, ty: &str, base: &str) {
        if ty != base {
            let info = self.symbols.types.entry(ty.into()).or_default();
            info.bases.push(base.into());
        }
    }

    pub fn var_type(&mut self, var: &str, ty: &str) {
        if !var.is_empty() && !ty.is_empty() {
            self.symbols.var_types.insert(var.into(), ty.into());
        }
    }

    pub fn import(&mut self, module: &str) {
        self.symbols.imports.push(module.into());
    }

    /// Opens a scope at `start`; it ends at `close` (or the end of text).
    pub fn open(
        &mut self,
        kind: ScopeKind,
        owner: Option<&str>,
        receiver: Option<&str>,
        start: usize,
    ) {
        if kind == ScopeKind::Type
            && let Some(owner) = owner
        {
            self.symbols.types.entry(owner.into()).or_default();
        }
        self.open.push(self.symbols.scopes.len());
        self.symbols.scopes.push(Scope {
            kind,
            owner: owner.map(Into::into),
            receiver: receiver.map(Into::into),
            start: start as u32,
            end: u32::MAX,
        });
    }

    pub fn close(&mut self, end: usize) -> Option<Scope> {
        let i = self.open.pop()?;
        self.symbols.scopes[i].end = end as u32;
        Some(self.symbols.scopes[i].clone())
    }

    /// The innermost open scope.
    pub fn top(&self) -> Option<&Scope> {
        self.open.last().map(|&i| &self.symbols.scopes[i])
    }

    /// The innermost open scope with an owner type.
    pub fn owner(&self) -> Option<&str> {
        self.open
            .iter()
            .rev()
            .find_map(|&i| self.symbols.scopes[i].owner.as_deref())
    }

    pub fn finish(mut self, len: usize) -> Symbols {
        while self.close(len).is_some() {}
        self.symbols
    }
}

/// The most common indentation step between consecutive lines, or `None`
/// when the text shows none.
pub(crate) fn detect_indent(src: &str) -> Option<Box<str>> {
    let mut tabs = 0u32;
    let mut steps = [0u32; 9];
    let mut previous = 0usize;
    // The first few hundred lines tell as well as the whole text.
    for line in src.as_bytes().split(|&b| b == b'\n').take(400) {
        let width = line
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if line.get(width).is_none_or(|&b| b == b'\r') {
            continue;
        }
        if line[0] == b'\t' {
            tabs += 1;
        } else if width > previous && width - previous <= 8 {
            steps[width - previous] += 1;
        }
        previous = width;
    }
    let (step, count) = steps
        .iter()
        .enumerate()
        .skip(1)
        .max_by_key(|&(i, c)| (*c, std::cmp::Reverse(i)))?;
    if tabs > *count {
        Some("\t".into())
    } else if *count > 0 {
        Some(" ".repeat(step).into())
    } else if tabs > 0 {
        Some("\t".into())
    } else {
        None
    }
}
