//! What the engine knows about each language, as static tables: keywords,
//! snippets, import lists, the most used library names and members. A
//! language may extend another (TypeScript extends JavaScript, C++ extends
//! C): lookups walk the chain, the extension's entries first.

mod c;
mod go;
mod java;
mod javascript;
mod python;
mod rust;

use super::lex::Lexical;

/// Which declaration rules `scan` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Python,
    JavaScript,
    Rust,
    Go,
    Java,
    C,
}

/// Where a snippet applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// The trigger starts the statement (after indentation or a `}`).
    Statement,
    Anywhere,
    /// Directly in a class, struct or impl body.
    InType,
    OutsideType,
    /// In a type body whose type has no member of this name yet (`$TYPE`:
    /// the type's own name, a constructor).
    InTypeLacking(&'static str),
    /// Outside type bodies, in a document that defines no such name yet.
    Lacking(&'static str),
}

/// Typed `trigger`, the snippet offers `body` after it. In `body`, a line's
/// leading `\t`s are indentation units (rendered as the document's) and
/// `$ITEMS`/`$ITEM`/`$TYPE`/`$VAR` are filled from the document.
pub(crate) struct Snippet {
    pub trigger: &'static str,
    pub body: &'static str,
    pub description: &'static str,
    pub confidence: f64,
    pub place: Place,
    /// `body` replaces the trigger: another language's habit (`def ` in
    /// JavaScript) answered with this language's way.
    pub replace: bool,
}

pub(crate) const fn snippet(
    trigger: &'static str,
    body: &'static str,
    description: &'static str,
    confidence: f64,
    place: Place,
) -> Snippet {
    Snippet {
        trigger,
        body,
        description,
        confidence,
        place,
        replace: false,
    }
}

pub(crate) const fn habit(
    trigger: &'static str,
    body: &'static str,
    description: &'static str,
) -> Snippet {
    Snippet {
        trigger,
        body,
        description,
        confidence: 0.7,
        place: Place::Statement,
        replace: true,
    }
}

/// After `trigger` (e.g. `import `), the names to offer, most used first.
pub(crate) struct Imports {
    pub trigger: &'static str,
    pub items: &'static [(&'static str, &'static str)],
}

pub struct Spec {
    pub id: &'static str,
    pub(crate) base: Option<&'static Spec>,
    pub(crate) family: Family,
    pub(crate) lexical: &'static Lexical,
    /// Indentation unit when the document shows none.
    pub(crate) indent: &'static str,
    pub(crate) keywords: &'static [&'static str],
    /// Library names in scope without an import: `name()` is a function,
    /// `Name` a type, `NAME` a constant, others values.
    pub(crate) builtins: &'static [&'static str],
    /// Receiver → its members, same notation as `builtins`. A receiver is a
    /// module or type as written (`os.path`, `std::fs`, `Math`), or
    /// `#Type` for the members of a value of that type (`#list`, `#Vec`):
    /// what a variable whose type the scan found as `Type` offers.
    pub(crate) members: &'static [(&'static str, &'static [&'static str])],
    pub(crate) snippets: &'static [Snippet],
    pub(crate) imports: &'static [Imports],
    /// Names that mean "the instance of the enclosing type".
    pub(crate) self_names: &'static [&'static str],
    /// Tokens that separate a receiver from its member.
    pub(crate) member_ops: &'static [&'static str],
    /// Keywords after which the next word is a new name: nothing in the
    /// document should complete it.
    pub(crate) declarers: &'static [&'static str],
}

impl Spec {
    /// This spec, then the ones it extends.
    pub(crate) fn chain(&'static self) -> impl Iterator<Item = &'static Spec> {
        std::iter::successors(Some(self), |s| s.base)
    }

    pub(crate) fn is_keyword(&'static self, word: &str) -> bool {
        self.chain().any(|s| s.keywords.contains(&word))
    }

    pub(crate) fn members_of(&'static self, receiver: &str) -> Option<&'static [&'static str]> {
        self.chain()
            .flat_map(|s| s.members.iter())
            .find(|(name, _)| *name == receiver)
            .map(|(_, members)| *members)
    }
}

static ALL: [&Spec; 8] = [
    &python::PYTHON,
    &javascript::JAVASCRIPT,
    &javascript::TYPESCRIPT,
    &rust::RUST,
    &go::GO,
    &java::JAVA,
    &c::C,
    &c::CPP,
];

/// The spec for a language id as the editor names it (plus a few common
/// aliases); `None` for a language the engine does not know.
pub fn spec(language: &str) -> Option<&'static Spec> {
    let id = match language {
        "py" | "python3" => "python",
        "js" | "jsx" | "node" => "javascript",
        "ts" | "tsx" => "typescript",
        "rs" => "rust",
        "golang" => "go",
        "c++" | "cc" | "cxx" => "cpp",
        other => other,
    };
    ALL.iter().copied().find(|s| s.id == id)
}

/// Every language the engine covers, by id.
pub fn languages() -> impl Iterator<Item = &'static str> {
    ALL.iter().map(|s| s.id)
}
