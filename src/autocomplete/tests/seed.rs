//! The seed prototype's examples, each in both of its languages; in the
//! language without the keyword the answer is that language's way (the
//! JavaScript `for ` once answered "No suggestion").

use super::{at, check};

#[test]
fn seed_examples_in_python() {
    check(&[
        ("def |", "python", "def function_name(args):", ""),
        (
            "for |",
            "python",
            "for item in items:",
            "for i in range(len(items)):",
        ),
        ("class |", "python", "class ClassName:", ""),
        (
            "if |",
            "python",
            "if condition:",
            "if __name__ == \"__main__\":",
        ),
        ("import |", "python", "import os", "json"),
        ("function |", "python", "def function_name(args):", ""),
        ("const |", "python", "NAME = value", ""),
    ]);
}

#[test]
fn seed_examples_in_javascript() {
    check(&[
        ("def |", "javascript", "function name(params) {", ""),
        (
            "for |",
            "javascript",
            "for (let i = 0; i < items.length; i++) {",
            "for (const item of items) {",
        ),
        ("class |", "javascript", "class Name {", ""),
        ("if |", "javascript", "if (condition) {", ""),
        (
            "import |",
            "javascript",
            "import { name } from 'module';",
            "",
        ),
        ("function |", "javascript", "function name(params) {", ""),
        ("const |", "javascript", "const name = ", ""),
    ]);
}

#[test]
fn seed_answers_keep_their_descriptions_and_shape() {
    let def = &at("x = 1\ndef |", "python")[0];
    assert_eq!(def.description, "Function definition");
    assert_eq!(def.text, "function_name(args):\n    pass");
    assert!((0.0..=1.0).contains(&def.confidence));
    assert_eq!(at("for |", "javascript")[0].description, "For loop");
    assert_eq!(at("import |", "python")[0].description, "Import a module");
    assert_eq!(
        at("function |", "javascript")[0].description,
        "Function declaration"
    );
    assert_eq!(at("const |", "typescript")[0].description, "Constant");
    // JavaScript's `def ` is answered by replacing it, not appending to it.
    let habit = &at("def |", "javascript")[0];
    assert_eq!(
        (habit.replace_before, habit.text.starts_with("function ")),
        (4, true)
    );
}
