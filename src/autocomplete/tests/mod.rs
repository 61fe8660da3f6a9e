//! Table-driven tests of the whole engine, one module per language family;
//! `|` in a case's text marks the cursor.

mod c_family;
mod context;
mod java;
mod javascript;
mod python;
mod rust_go;
mod seed;

use super::{Completion, ContextEngine, Engine, Kind, Query};

/// Suggestions at `|` in `marked`.
pub(super) fn at(marked: &str, language: &str) -> Vec<Completion> {
    let at = marked.find('|').expect("a | marks the cursor");
    let code = marked.replacen('|', "", 1);
    let cursor = code[..at].encode_utf16().count();
    let engine = ContextEngine::new(1 << 20);
    engine
        .complete(Query {
            code: &code,
            cursor,
            language,
            limit: 8,
        })
        .items
}

/// The whole line the first suggestion would leave: what a user sees.
pub(super) fn first(marked: &str, language: &str) -> String {
    let got = at(marked, language);
    let Some(best) = got.first() else {
        return String::new();
    };
    let at = marked.find('|').unwrap();
    let before: Vec<u16> = marked[..at].encode_utf16().collect();
    let kept = String::from_utf16_lossy(&before[..before.len() - best.replace_before]);
    let line_start = kept.rfind('\n').map_or(0, |n| n + 1);
    format!("{}{}", &kept[line_start..], best.text)
}

/// Labels of the suggestions, best first.
pub(super) fn labels(marked: &str, language: &str) -> Vec<String> {
    at(marked, language).into_iter().map(|c| c.label).collect()
}

/// Asserts each case: (text with cursor, language, what the first
/// suggestion's line starts with, a label the list must hold).
pub(super) fn check(cases: &[(&str, &str, &str, &str)]) {
    let mut failures = Vec::new();
    for &(marked, language, expect_first, in_list) in cases {
        let line = first(marked, language);
        let list = labels(marked, language);
        if !line.starts_with(expect_first)
            || (!in_list.is_empty() && !list.iter().any(|l| l == in_list))
        {
            failures.push(format!("{language} {marked:?}: first line {line:?}, want {expect_first:?}; list {list:?} should hold {in_list:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

pub(super) fn kinds(marked: &str, language: &str) -> Vec<(String, Kind)> {
    at(marked, language)
        .into_iter()
        .map(|c| (c.label, c.kind))
        .collect()
}
