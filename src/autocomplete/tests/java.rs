//! Java.

use super::check;

#[test]
fn java_table() {
    check(&[
        ("class |", "java", "class Name {", ""),
        (
            "for |",
            "java",
            "for (int i = 0; i < items.length; i++) {",
            "for (var item : items) {",
        ),
        ("try |", "java", "try {", ""),
        ("System.|", "java", "System.out", "currentTimeMillis"),
        ("System.out.|", "java", "System.out.println", "printf"),
        (
            "import |",
            "java",
            "import java.util.List;",
            "java.util.HashMap;",
        ),
        ("String s = \"\";\ns.|", "java", "s.length", "substring"),
        (
            "List<String> xs = new ArrayList<>();\nxs.|",
            "java",
            "xs.add",
            "size",
        ),
        ("Ma|", "java", "Map", "Math"),
        (
            "thr|",
            "java",
            "throw new IllegalArgumentException(\"message\");",
            "throws",
        ),
    ]);
}

#[test]
fn java_document_context() {
    let library = "import java.util.List;\n\npublic class Library {\n    private List<String> books;\n    private int count;\n\n    public void add(String title) {\n        ";
    check(&[
        (
            &format!("{library}this.|"),
            "java",
            "        this.books",
            "add",
        ),
        (
            &format!("{library}this.books.|"),
            "java",
            "        this.books.add",
            "stream",
        ),
        (&format!("{library}tit|"), "java", "        title", ""),
        (&format!("{library}boo|"), "java", "        books", ""),
        (
            &format!(
                "{library}}}\n}}\nclass Main {{\n    void f() {{\n        Library lib = new Library();\n        lib.|"
            ),
            "java",
            "        lib.books",
            "add",
        ),
        (
            "enum Level { LOW, HIGH }\nclass A { Level l = Level.|",
            "java",
            "class A { Level l = Level.LOW",
            "HIGH",
        ),
        ("public class App {\n    |", "java", "", ""),
        (
            "public class App {\n    public static void |",
            "java",
            "    public static void main(String[] args) {",
            "",
        ),
        ("class T {\n    @Te|", "java", "    @Test", ""),
    ]);
}
