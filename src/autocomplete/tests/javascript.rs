//! JavaScript and TypeScript.

use super::{at, check, first};

#[test]
fn javascript_table() {
    check(&[
        ("wh|", "javascript", "while (condition) {", "while"),
        ("sw|", "javascript", "switch (value) {", ""),
        ("try |", "javascript", "try {", ""),
        ("} else |", "javascript", "} else {", ""),
        ("throw |", "javascript", "throw new Error('message');", ""),
        ("console.|", "javascript", "console.log", "error"),
        ("console.er|", "javascript", "console.error", ""),
        ("JSON.|", "javascript", "JSON.stringify", "parse"),
        ("Math.fl|", "javascript", "Math.floor", ""),
        ("const s = 'x';\ns.|", "javascript", "s.length", "split"),
        ("const m = new Map();\nm.|", "javascript", "m.get", "set"),
        ("parseI|", "javascript", "parseInt", ""),
        ("te|", "javascript", "test('does something', () => {", ""),
        ("describe(|", "javascript", "describe('name', () => {", ""),
        (
            "const fs = require(|",
            "javascript",
            "const fs = require('fs')",
            "'path')",
        ),
        ("setTimeout(|", "javascript", "setTimeout(() => {", ""),
    ]);
}

#[test]
fn javascript_document_context() {
    let counter = "class Counter {\n  constructor(start) {\n    this.count = start;\n    this.step = 1;\n  }\n  increment() {\n    this.count += this.step;\n  }\n  reset() {\n    ";
    check(&[
        (
            &format!("{counter}this.|"),
            "javascript",
            "    this.count",
            "increment",
        ),
        (
            &format!("{counter}this.st|"),
            "javascript",
            "    this.step",
            "",
        ),
        (
            &format!("{counter}\n  }}\n}}\nconst c = new Counter(1);\nc.|"),
            "javascript",
            "c.count",
            "reset",
        ),
        (
            "function fetchUsers(url) {}\nconst users = [];\nfetc|",
            "javascript",
            "fetchUsers",
            "fetch",
        ),
        (
            "const users = [];\nusers.|",
            "javascript",
            "users.map",
            "filter",
        ),
        (
            "const users = [];\nfor |",
            "javascript",
            "for (let i = 0; i < users.length; i++) {",
            "for (const user of users) {",
        ),
        (
            "import { readFile, writeFile } from 'fs';\nwri|",
            "javascript",
            "writeFile",
            "",
        ),
        (
            "const { host, port } = config;\npo|",
            "javascript",
            "port",
            "",
        ),
        (
            "class A { go() {} }\nclass B extends A {\n  run() {\n    this.|",
            "javascript",
            "    this.run",
            "go",
        ),
    ]);
}

#[test]
fn javascript_blocks_follow_the_document_and_auto_closed_brackets() {
    // Four-space documents get four-space bodies.
    assert_eq!(
        first("if (a) {\n    b();\n}\nif |", "javascript"),
        "if (condition) {\n    \n}"
    );
    // `if (` with the editor's `)` already there: the snippet types over it.
    let closed = &at("if (|)", "javascript")[0];
    assert_eq!(
        (closed.text.as_str(), closed.replace_after),
        ("condition) {\n  \n}", 1)
    );
    assert!(at("// for |", "javascript").is_empty());
    assert!(at("const s = `for |`", "javascript").is_empty());
    assert!(at("/* class |", "javascript").is_empty());
}

#[test]
fn typescript_table_and_context() {
    check(&[
        ("interface |", "typescript", "interface Name {", ""),
        ("enum |", "typescript", "enum Name {", ""),
        (
            "function |",
            "typescript",
            "function name(params: Type): ReturnType {",
            "function name(params) {",
        ),
        (
            "for |",
            "typescript",
            "for (let i = 0; i < items.length; i++) {",
            "",
        ),
        ("read|", "typescript", "readonly", ""),
        (
            "interface User { name: string; age: number }\nconst u: User = load();\nu.|",
            "typescript",
            "u.name",
            "age",
        ),
        (
            "interface User { name: string }\nconst u: User = load();\nu.name.|",
            "typescript",
            "u.name.length",
            "split",
        ),
        (
            "enum Color { Red, Green }\nconst c = Color.|",
            "typescript",
            "const c = Color.Red",
            "Green",
        ),
        (
            "class P {\n  constructor(private readonly host: string) {}\n  url() {\n    return this.|",
            "typescript",
            "    return this.host",
            "url",
        ),
    ]);
}
