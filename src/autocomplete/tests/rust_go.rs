//! Rust and Go.

use super::{at, check, first, labels};

#[test]
fn rust_table() {
    check(&[
        ("fn |", "rust", "fn name(args) {", "fn main() {"),
        ("struct |", "rust", "struct Name {", ""),
        ("mat|", "rust", "match value {", "match"),
        ("for |", "rust", "for item in &items {", ""),
        ("if let |", "rust", "if let Some(x) = value {", ""),
        ("mod |", "rust", "mod tests {", ""),
        ("#[te|", "rust", "#[test]", ""),
        (
            "#[derive(|",
            "rust",
            "#[derive(Debug, Clone, PartialEq)]",
            "",
        ),
        (
            "use |",
            "rust",
            "use std::collections::HashMap;",
            "std::sync::Arc;",
        ),
        (
            "use std::collections::|",
            "rust",
            "use std::collections::HashMap",
            "BTreeMap",
        ),
        ("std::fs::|", "rust", "std::fs::read_to_string", ""),
        ("printl|", "rust", "println", ""),
        ("let v = vec![1];\nv.|", "rust", "v.push", "len"),
        ("let s = String::new();\ns.|", "rust", "s.push_str", ""),
        ("let m = HashMap::new();\nm.ins|", "rust", "m.insert", ""),
    ]);
}

#[test]
fn rust_document_context() {
    let server = "struct Server {\n    name: String,\n    clients: Vec<String>,\n}\n\nimpl Server {\n    fn new() -> Self { todo!() }\n    fn count(&self) -> usize {\n        ";
    check(&[
        (
            &format!("{server}self.|"),
            "rust",
            "        self.name",
            "count",
        ),
        (
            &format!("{server}self.clients.|"),
            "rust",
            "        self.clients.push",
            "iter",
        ),
        (&format!("{server}Self::|"), "rust", "        Self::new", ""),
        (
            &format!("{server}0\n    }}\n}}\nfn main() {{\n    let s = Server::|"),
            "rust",
            "    let s = Server::new",
            "",
        ),
        (
            &format!("{server}0\n    }}\n}}\nfn main() {{\n    let s = Server::new();\n    s.|"),
            "rust",
            "    s.name",
            "count",
        ),
        (
            "enum Color { Red, Green }\nfn f() { let c = Color::|",
            "rust",
            "fn f() { let c = Color::Red",
            "Green",
        ),
        (
            "fn parse_line(s: &str) {}\nfn main() { par|",
            "rust",
            "fn main() { parse_line",
            "",
        ),
        (
            "impl Server {\n    fn |",
            "rust",
            "    fn new() -> Self {",
            "fn method(&self) {",
        ),
    ]);
    // `Type::` offers associated functions, `.` only methods and fields.
    let dot = labels(
        &format!("{server}0\n    }}\n}}\nfn main() {{\n    let s = Server::new();\n    s.|"),
        "rust",
    );
    assert!(!dot.iter().any(|l| l == "new"), "{dot:?}");
}

#[test]
fn go_table() {
    check(&[
        ("func |", "go", "func name(args) {", "func main() {"),
        ("func Te|", "go", "func TestName(t *testing.T) {", ""),
        ("if |", "go", "if err != nil {", "if condition {"),
        ("for |", "go", "for i := 0; i < n; i++ {", ""),
        (
            "type |",
            "go",
            "type Name struct {",
            "type Name interface {",
        ),
        ("import |", "go", "import \"fmt\"", ""),
        ("fmt.|", "go", "fmt.Println", "Sprintf"),
        ("strings.Has|", "go", "strings.HasPrefix", "HasSuffix"),
        ("go |", "go", "go func() {", ""),
        ("app|", "go", "append", ""),
    ]);
}

#[test]
fn go_document_context() {
    let server = "package main\n\nimport (\n\t\"fmt\"\n\tstr \"strings\"\n)\n\ntype Server struct {\n\tName string\n\tPort, Retries int\n}\n\nfunc (s *Server) Start() error {\n\t";
    check(&[
        (&format!("{server}s.|"), "go", "\ts.Name", "Start"),
        (&format!("{server}s.Po|"), "go", "\ts.Port", ""),
        (
            &format!("{server}return nil\n}}\n\nfunc main() {{\n\tsrv := &Server{{}}\n\tsrv.|"),
            "go",
            "\tsrv.Name",
            "Retries",
        ),
        (
            &format!("{server}return nil\n}}\n\nfunc TestX(t *testing.T) {{\n\tt.|"),
            "go",
            "\tt.Errorf",
            "",
        ),
        (
            "items := []string{}\nfor |",
            "go",
            "for i := 0; i < n; i++ {",
            "for _, item := range items {",
        ),
        (
            "func handleRequest() {}\nfunc main() {\n\thand|",
            "go",
            "\thandleRequest",
            "",
        ),
    ]);
    // Go documents indent with tabs.
    assert_eq!(
        first("func main() {\n\tif |", "go"),
        "\tif err != nil {\n\t\treturn err\n\t}"
    );
    assert!(at("s := \"for |\"", "go").is_empty());
}
