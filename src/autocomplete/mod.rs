//! Code suggestions that know the document they are asked about.
//!
//! No hosted model is reachable from a deployment, and none is needed for
//! what an editor wants most: the names the document defines, the members
//! it shows a value has (`self.` offers the attributes the class assigns),
//! the language's keywords, snippets and most used library names, ranked.
//! The engine is pure — text, cursor and language in, ranked suggestions
//! out — and sits behind [`Engine`] so the HTTP layer does not care how.
//!
//! # Why a hand-written tokenizer and not tree-sitter
//!
//! tree-sitter with eight grammar crates would add about a dozen C
//! libraries to build (minutes on the 2-core build machine, several MB of
//! parse tables in the binary) and a C dependency to audit, for more than
//! completion needs: completion mostly runs on *broken* code (the line being
//! typed), where a full parser's error recovery gives little over a
//! tolerant scan. A tokenizer per language family (`lex`) plus
//! declaration rules per language (`scan`) finds definitions, scopes,
//! members and simple types in one linear pass, never fails on any input,
//! and adds no parsing dependency.
//!
//! # Layout
//!
//! - [`lang`]: per language, its tables (keywords, snippets, library names).
//! - `lex`: the tokenizer; `scan`: one pass from tokens to `symbols`.
//! - `cache`: the symbol table per document version, bounded by bytes, so
//!   a burst of requests on the same text scans it once.
//! - `context`: what the cursor is doing (typing a name, a member, a
//!   statement); `candidates`: what fits there, ranked (`members` for what
//!   follows `.`); `snippet`: the rendering of snippets in the line's
//!   indentation; `utf16`: offsets as browsers count them.
//! - [`wire`]: the JSON shapes of `POST /api/autocomplete`.

mod cache;
mod candidates;
mod context;
mod engine;
pub mod lang;
mod lex;
mod members;
mod scan;
mod snippet;
mod symbols;
mod utf16;
pub mod wire;

#[cfg(test)]
mod tests;

use serde::Serialize;

pub use engine::ContextEngine;

/// What a suggestion inserts; the editor shows it as an icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Snippet,
    Keyword,
    Function,
    Method,
    Class,
    Struct,
    Interface,
    Enum,
    Field,
    Variable,
    Constant,
    Module,
    Type,
}

/// One ranked suggestion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Completion {
    /// Replaces `replace_before` UTF-16 units before the cursor and
    /// `replace_after` after it; usually both are 0 and it is inserted at
    /// the cursor, continuing the word being typed.
    pub text: String,
    /// What a list shows: the whole word, or the snippet's first line.
    pub label: String,
    pub kind: Kind,
    /// In [0, 1].
    pub confidence: f64,
    pub description: String,
    /// Units before the cursor `text` replaces (`def ` in JavaScript,
    /// answered with `function ...`).
    pub replace_before: usize,
    /// Units after the cursor `text` types over (the `)` an editor closed
    /// by itself after `if (`).
    pub replace_after: usize,
}

/// A request to the engine; `cursor` is in UTF-16 code units, already
/// clamped to the text.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    pub code: &'a str,
    pub cursor: usize,
    pub language: &'a str,
    /// At most this many suggestions.
    pub limit: usize,
}

/// The answer: suggestions best first, and the UTF-16 length of the
/// partial word before the cursor that every `text` continues.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Completions {
    pub items: Vec<Completion>,
    pub prefix_len: usize,
}

pub trait Engine: Send + Sync + 'static {
    fn complete(&self, query: Query<'_>) -> Completions;
}
