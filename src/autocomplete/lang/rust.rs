//! Rust.

use super::{Family, Imports, Place, Snippet, Spec};
use crate::autocomplete::lex::Lexical;

static LEXICAL: Lexical = Lexical {
    line_comment: "//",
    block_comment: true,
    nested_comments: true,
    python_strings: false,
    single_quote_strings: false,
    backtick_strings: false,
    rust_literals: true,
    dollar_idents: false,
};

use super::snippet as s;

use Place::{Anywhere, InType, OutsideType, Statement};

#[rustfmt::skip]
static SNIPPETS: &[Snippet] = &[
    s("fn ", "new() -> Self {\n\tSelf {}\n}", "Constructor", 0.82, Place::InTypeLacking("new")),
    s("fn ", "method(&self) {\n\t\n}", "Method", 0.8, InType),
    s("fn ", "name(args) {\n\t\n}", "Function", 0.8, OutsideType),
    s("fn ", "main() {\n\t\n}", "Main function", 0.6, Place::Lacking("main")),
    s("pub fn ", "name(&self) {\n\t\n}", "Public method", 0.75, InType),
    s("pub fn ", "name(args) {\n\t\n}", "Public function", 0.75, OutsideType),
    s("struct ", "Name {\n\tfield: Type,\n}", "Struct", 0.8, Statement),
    s("pub struct ", "Name {\n\tpub field: Type,\n}", "Public struct", 0.75, Statement),
    s("enum ", "Name {\n\tFirst,\n\tSecond,\n}", "Enum", 0.75, Statement),
    s("impl ", "$TYPE {\n\t\n}", "Impl block", 0.75, Statement),
    s("impl ", "std::fmt::Display for $TYPE {\n\tfn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {\n\t\twrite!(f, \"\")\n\t}\n}", "Display impl", 0.6, Statement),
    s("trait ", "Name {\n\tfn method(&self);\n}", "Trait", 0.7, Statement),
    s("for ", "$ITEM in &$ITEMS {\n\t\n}", "For loop", 0.75, Statement),
    s("for ", "i in 0..n {\n\t\n}", "For loop over a range", 0.65, Statement),
    s("for ", "(i, $ITEM) in $ITEMS.iter().enumerate() {\n\t\n}", "For loop with index", 0.6, Statement),
    s("while ", "condition {\n\t\n}", "While loop", 0.7, Statement),
    s("while let ", "Some(x) = iter.next() {\n\t\n}", "While-let loop", 0.65, Statement),
    s("loop ", "{\n\t\n}", "Endless loop", 0.65, Statement),
    s("if ", "condition {\n\t\n}", "If expression", 0.7, Statement),
    s("if let ", "Some(x) = $VAR {\n\t\n}", "If-let", 0.7, Statement),
    s("else ", "{\n\t\n}", "Else branch", 0.6, Statement),
    s("match ", "$VAR {\n\tSome(x) => {}\n\tNone => {}\n}", "Match expression", 0.7, Anywhere),
    s("let ", "name = ", "Variable", 0.6, Statement),
    s("let mut ", "name = ", "Mutable variable", 0.6, Statement),
    s("use ", "std::collections::HashMap;", "Use a path", 0.6, Statement),
    s("mod ", "tests {\n\tuse super::*;\n\n\t#[test]\n\tfn it_works() {\n\t\tassert_eq!(2 + 2, 4);\n\t}\n}", "Test module", 0.75, Statement),
    s("#[test]", "\nfn it_works() {\n\tassert_eq!($VAR, expected);\n}", "Test function", 0.75, Statement),
    s("#[cfg(test)]", "\nmod tests {\n\tuse super::*;\n\n\t#[test]\n\tfn it_works() {\n\t\tassert_eq!(2 + 2, 4);\n\t}\n}", "Test module", 0.75, Statement),
    s("#[derive(", "Debug, Clone, PartialEq)]", "Derive common traits", 0.7, Statement),
    s("println!(", "\"{}\", $VAR);", "Print a value", 0.65, Anywhere),
    s("println!(", "\"{$VAR:?}\");", "Debug-print a value", 0.6, Anywhere),
    s("format!(", "\"{}\", $VAR)", "Format a string", 0.6, Anywhere),
    s("Err(", "\"message\".into())", "Error value", 0.5, Anywhere),
    s("return ", "Ok(());", "Return success", 0.5, Statement),
];

#[rustfmt::skip]
static IMPORTS: &[Imports] = &[Imports { trigger: "use ", items: &[
    ("std::collections::HashMap;", "Hash map"), ("std::collections::HashSet;", "Hash set"),
    ("std::sync::Arc;", "Shared ownership"), ("std::sync::Mutex;", "Mutual exclusion"),
    ("std::fmt;", "Formatting"), ("std::io::{self, Read, Write};", "I/O"),
    ("std::fs;", "File system"), ("std::path::{Path, PathBuf};", "Paths"),
    ("std::time::{Duration, Instant};", "Time"), ("std::rc::Rc;", "Reference counting"),
    ("std::collections::BTreeMap;", "Ordered map"), ("std::env;", "Environment"),
    ("super::*;", "Everything from the parent module"),
] }];

#[rustfmt::skip]
static MEMBERS: &[(&str, &[&str])] = &[
    ("std", &["collections", "sync", "fmt", "io", "fs", "env", "thread", "time", "path", "process", "rc", "cell", "mem", "iter"]),
    ("std::collections", &["HashMap", "HashSet", "BTreeMap", "BTreeSet", "VecDeque", "BinaryHeap"]),
    ("std::sync", &["Arc", "Mutex", "RwLock", "mpsc", "atomic", "OnceLock"]),
    ("std::fs", &["read_to_string()", "write()", "File", "create_dir_all()", "read_dir()", "remove_file()", "read()"]),
    ("std::io", &["stdin()", "stdout()", "Read", "Write", "BufRead", "BufReader", "Error", "Result"]),
    ("std::env", &["args()", "var()", "current_dir()", "vars()"]),
    ("std::thread", &["spawn()", "sleep()", "scope()", "JoinHandle"]),
    ("std::time", &["Duration", "Instant", "SystemTime"]),
    ("std::mem", &["swap()", "replace()", "take()", "drop()", "size_of()"]),
    ("Vec", &["new()", "with_capacity()", "from()"]),
    ("String", &["new()", "from()", "with_capacity()", "from_utf8()"]),
    ("HashMap", &["new()", "with_capacity()", "from()"]),
    ("HashSet", &["new()", "with_capacity()", "from()"]),
    ("Box", &["new()"]),
    ("Arc", &["new()", "clone()"]),
    ("Rc", &["new()", "clone()"]),
    ("Duration", &["from_secs()", "from_millis()", "from_micros()", "ZERO"]),
    ("Instant", &["now()"]),
    ("#Vec", &["push()", "len()", "iter()", "is_empty()", "pop()", "get()", "contains()", "insert()", "remove()", "sort()", "extend()", "clear()", "iter_mut()", "into_iter()", "first()", "last()", "retain()", "dedup()", "join()", "truncate()", "windows()", "chunks()"]),
    ("#String", &["push_str()", "len()", "is_empty()", "as_str()", "chars()", "trim()", "split()", "contains()", "starts_with()", "ends_with()", "to_lowercase()", "to_uppercase()", "replace()", "lines()", "parse()", "push()", "bytes()", "clear()"]),
    ("#str", &["len()", "chars()", "trim()", "split()", "to_string()", "to_owned()", "contains()", "starts_with()", "parse()", "lines()", "bytes()", "is_empty()", "split_whitespace()"]),
    ("#HashMap", &["insert()", "get()", "contains_key()", "remove()", "entry()", "len()", "is_empty()", "iter()", "keys()", "values()", "get_mut()", "values_mut()"]),
    ("#HashSet", &["insert()", "contains()", "remove()", "len()", "is_empty()", "iter()", "union()", "intersection()"]),
    ("#Option", &["unwrap_or()", "map()", "is_some()", "is_none()", "and_then()", "ok_or()", "unwrap_or_default()", "as_ref()", "take()", "expect()", "unwrap()"]),
    ("#Result", &["map_err()", "ok()", "is_ok()", "is_err()", "and_then()", "unwrap_or()", "expect()", "unwrap()"]),
];

#[rustfmt::skip]
pub(crate) static RUST: Spec = Spec {
    id: "rust",
    base: None,
    family: Family::Rust,
    lexical: &LEXICAL,
    indent: "    ",
    keywords: &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait",
        "true", "type", "unsafe", "use", "where", "while",
    ],
    builtins: &[
        "println!()", "format!()", "vec!()", "assert_eq!()", "assert!()", "panic!()",
        "eprintln!()", "write!()", "todo!()", "unreachable!()", "matches!()", "print!()",
        "Some()", "None", "Ok()", "Err()", "Option", "Result", "String", "Vec", "Box",
        "HashMap", "HashSet", "Default", "Clone", "Debug", "Iterator", "Into", "From",
        "std", "drop()",
    ],
    members: MEMBERS,
    snippets: SNIPPETS,
    imports: IMPORTS,
    self_names: &["self", "Self"],
    member_ops: &[".", "::"],
    declarers: &["fn", "struct", "enum", "trait", "mod", "type", "let", "mut", "const", "static"],
};
