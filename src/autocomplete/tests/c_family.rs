//! C and C++.

use super::{at, check};

#[test]
fn c_table() {
    check(&[
        ("#include |", "c", "#include <stdio.h>", ""),
        ("#include <st|", "c", "#include <stdio.h>", "stdlib.h>"),
        ("struct |", "c", "struct Name {", ""),
        ("typedef |", "c", "typedef struct {", ""),
        ("int |", "c", "int main(int argc, char *argv[]) {", ""),
        ("for |", "c", "for (int i = 0; i < n; i++) {", ""),
        ("mal|", "c", "malloc", ""),
        ("printf(|", "c", "printf(\"%d\\n\", value);", ""),
        ("str|", "c", "struct", "strlen"),
    ]);
}

#[test]
fn c_document_context() {
    let point = "#include <stdio.h>\n#define MAX_POINTS 10\n\nstruct point {\n    int x;\n    int y;\n};\n\nint distance(struct point *a, struct point *b) {\n    ";
    check(&[
        (&format!("{point}a->|"), "c", "    a->x", "y"),
        (
            &format!("{point}struct point p;\n    p.|"),
            "c",
            "    p.x",
            "y",
        ),
        (&format!("{point}MAX|"), "c", "    MAX_POINTS", ""),
        (
            &format!("{point}return 0;\n}}\nint main(void) {{\n    dist|"),
            "c",
            "    distance",
            "",
        ),
        (
            "typedef struct {\n    int w;\n    int h;\n} Size;\nvoid f(Size *s) {\n    s->|",
            "c",
            "    s->w",
            "h",
        ),
        (
            "enum color { RED, GREEN };\nint c = GRE|",
            "c",
            "int c = GREEN",
            "",
        ),
    ]);
    // `int ` proposes `main` only while the file has none.
    let labels: Vec<String> = at("int main(void) { return 0; }\nint |", "c")
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert!(
        !labels.iter().any(|l| l.starts_with("int main")),
        "{labels:?}"
    );
}

#[test]
fn cpp_table_and_context() {
    check(&[
        ("class |", "cpp", "class Name {", ""),
        ("#include <|", "cpp", "#include <iostream>", "vector>"),
        ("std::|", "cpp", "std::cout", "vector"),
        ("using |", "cpp", "using namespace std;", ""),
        (
            "#include <vector>\nint main() {\n    std::vector<int> v;\n    v.|",
            "cpp",
            "    v.push_back",
            "size",
        ),
        (
            "int main() {\n    std::string s;\n    s.|",
            "cpp",
            "    s.size",
            "substr",
        ),
        (
            "class Shape {\npublic:\n    double area() const;\nprivate:\n    double w_;\n};\ndouble Shape::area() const {\n    return this->|",
            "cpp",
            "    return this->w_",
            "area",
        ),
        (
            "class Shape {\n    double w_;\n    double area() { return w|",
            "cpp",
            "    double area() { return w_",
            "",
        ),
        (
            "std::vector<int> items;\nfor |",
            "cpp",
            "for (const auto& item : items) {",
            "for (int i = 0; i < n; i++) {",
        ),
        ("TE|", "cpp", "TEST(Suite, Name) {", ""),
    ]);
}
