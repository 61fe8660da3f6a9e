//! What every language shares: UTF-16 cursors, the limit, the typed word,
//! unknown languages, cursors in the middle of the text.

use super::{at, first, kinds};
use crate::autocomplete::{ContextEngine, Engine, Kind, Query, lang};

#[test]
fn cursors_count_utf16_units_inside_non_ascii_text() {
    // Astral-plane emoji are two UTF-16 units each: the cursor still lands
    // right after `nä`.
    let got = at("s = '🙂🙂'\nnäme = 1\nt = \"żółw\"\nnä|", "python");
    assert_eq!(got[0].label, "näme");
    assert_eq!(got[0].text, "me");
    // A name matched regardless of case replaces the typed word, counted in
    // UTF-16 units (3, though `grö` is 4 bytes).
    let got = at("Größe = 1\nx = grö|", "python");
    assert_eq!((got[0].label.as_str(), got[0].replace_before), ("Größe", 3));
    // The cursor in the middle of a text with emoji on both sides.
    let code = "# 🙂\nfor \n# 🙂 end";
    let cursor = "# 🙂\nfor ".encode_utf16().count();
    let engine = ContextEngine::new(1 << 20);
    let got = engine.complete(Query {
        code,
        cursor,
        language: "python",
        limit: 8,
    });
    assert_eq!(got.items[0].label, "for item in items:");
    assert_eq!(got.prefix_len, 0);
    let typed = engine.complete(Query {
        code: "ñandú = 1\nña",
        cursor: 12,
        language: "python",
        limit: 8,
    });
    assert_eq!(
        (typed.prefix_len, typed.items[0].label.as_str()),
        (2, "ñandú")
    );
}

#[test]
fn the_limit_bounds_the_list_and_zero_means_none() {
    let engine = ContextEngine::new(1 << 20);
    let code = "import os\nos.";
    let cursor = code.encode_utf16().count();
    for limit in [0, 1, 3, 8] {
        let got = engine.complete(Query {
            code,
            cursor,
            language: "python",
            limit,
        });
        assert_eq!(got.items.len(), limit);
    }
}

#[test]
fn the_word_already_typed_is_never_suggested() {
    for (marked, language) in [
        ("count = 1\ncount|", "python"),
        ("let count = 1;\ncount|", "javascript"),
        ("fn main() { let count = 1; count|", "rust"),
    ] {
        let labels: Vec<String> = at(marked, language).into_iter().map(|c| c.label).collect();
        assert!(
            !labels.iter().any(|l| l == "count"),
            "{language}: {labels:?}"
        );
    }
    // In the middle of a word nothing is inserted.
    assert!(at("print|ln", "python").is_empty());
}

#[test]
fn unknown_languages_answer_nothing_and_aliases_resolve() {
    assert!(at("def |", "cobol").is_empty());
    assert!(first("def |", "py").starts_with("def function_name(args):"));
    assert!(first("fn |", "rs").starts_with("fn name(args) {"));
    assert!(first("class |", "c++").starts_with("class Name {"));
    assert_eq!(lang::languages().count(), 8);
}

#[test]
fn kinds_tell_snippets_from_names_and_members() {
    let k = kinds(
        "def helper():\n    pass\nclass Box:\n    pass\nhe|",
        "python",
    );
    assert_eq!(k[0], ("helper".to_owned(), Kind::Function));
    let k = kinds("class Box:\n    pass\nBo|", "python");
    assert_eq!(k[0], ("Box".to_owned(), Kind::Class));
    let k = kinds("import json\njson.|", "python");
    assert_eq!(k[0].1, Kind::Function);
    let k = kinds("for |", "go");
    assert!(k.iter().all(|(_, kind)| *kind == Kind::Snippet));
    let k = kinds("import |", "python");
    assert_eq!(k[0].1, Kind::Module);
}

#[test]
fn every_language_has_snippets_library_names_and_document_context() {
    // (language, a snippet trigger, a library receiver, a document and
    // the name it should offer at its end).
    let cases = [
        (
            "python",
            "while ",
            "os.",
            "def load_rows():\n    pass\nload|",
            "load_rows",
        ),
        (
            "javascript",
            "while ",
            "Math.",
            "function loadRows() {}\nload|",
            "loadRows",
        ),
        (
            "typescript",
            "interface ",
            "Math.",
            "function loadRows(): void {}\nload|",
            "loadRows",
        ),
        (
            "rust",
            "while ",
            "std::",
            "fn load_rows() {}\nfn main() { load|",
            "load_rows",
        ),
        (
            "go",
            "for ",
            "strings.",
            "func loadRows() {}\nfunc main() {\n\tload|",
            "loadRows",
        ),
        (
            "java",
            "while ",
            "Math.",
            "class A {\n    void loadRows() {}\n    void f() { load|",
            "loadRows",
        ),
        (
            "c",
            "while ",
            "",
            "void load_rows(void) {}\nint main(void) { load|",
            "load_rows",
        ),
        (
            "cpp",
            "while ",
            "std::",
            "void load_rows() {}\nint main() { load|",
            "load_rows",
        ),
    ];
    for (language, trigger, receiver, doc, name) in cases {
        let snippet = at(&format!("{trigger}|"), language);
        assert!(
            snippet.first().is_some_and(|c| c.kind == Kind::Snippet),
            "{language} {trigger:?}: {snippet:?}"
        );
        if !receiver.is_empty() {
            let members = at(&format!("{receiver}|"), language);
            assert!(members.len() >= 3, "{language} {receiver}: {members:?}");
        }
        let names = at(doc, language);
        assert_eq!(
            names.first().map(|c| c.label.as_str()),
            Some(name),
            "{language}: {names:?}"
        );
        let keyword = lang::spec(language).unwrap().keywords[0];
        let typed = &keyword[..keyword.len().min(2)];
        assert!(
            !at(&format!("{typed}|"), language).is_empty(),
            "{language} keyword prefix {typed}"
        );
    }
}

#[test]
fn any_text_at_any_cursor_answers_without_panicking() {
    // Half-typed code is the normal case: unbalanced brackets, open strings
    // and comments, stray operators, astral-plane characters.
    const PIECES: &[&str] = &[
        "def ", "class ", "fn ", "struct ", "impl ", "func ", "(", ")", "{", "}", "[", "]", "\"",
        "'", "`", "'''", "\"\"\"", "/*", "*/", "//", "#", "\\", "\n", "\n    ", "\t", ".", "::",
        "->", ":", ";", ",", "=", "self", "this", "x", "éa", "🙂", "r#\"", "<", ">", "typedef ",
        "enum ", "import ", "for ", "let ",
    ];
    let engine = ContextEngine::new(1 << 16);
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for round in 0..300 {
        let mut code = String::new();
        for _ in 0..(8 + round % 24) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            code.push_str(PIECES[(seed % PIECES.len() as u64) as usize]);
        }
        let units = code.encode_utf16().count();
        for language in lang::languages() {
            for cursor in [0, units / 3, units / 2, units, units + 5] {
                let got = engine.complete(Query {
                    code: &code,
                    cursor,
                    language,
                    limit: 8,
                });
                assert!(got.items.len() <= 8);
                assert!(
                    got.items
                        .iter()
                        .all(|c| (0.0..=1.0).contains(&c.confidence)),
                    "{language} {code:?}"
                );
            }
        }
    }
}
