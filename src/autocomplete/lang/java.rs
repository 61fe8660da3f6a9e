//! Java.

use super::{Family, Imports, Place, Snippet, Spec};
use crate::autocomplete::lex::Lexical;

static LEXICAL: Lexical = Lexical {
    line_comment: "//",
    block_comment: true,
    nested_comments: false,
    python_strings: false,
    single_quote_strings: false,
    backtick_strings: false,
    rust_literals: false,
    dollar_idents: true,
};

use super::snippet as s;

use Place::{Anywhere, InType, InTypeLacking, OutsideType, Statement};

#[rustfmt::skip]
static SNIPPETS: &[Snippet] = &[
    s("public static void ", "main(String[] args) {\n\t\n}", "Main method", 0.8, InTypeLacking("main")),
    s("public ", "$TYPE() {\n\t\n}", "Constructor", 0.7, InTypeLacking("$TYPE")),
    s("public ", "void name() {\n\t\n}", "Public method", 0.7, InType),
    s("public ", "class Name {\n\t\n}", "Public class", 0.75, OutsideType),
    s("private ", "final String name;", "Private field", 0.65, InType),
    s("private ", "void name() {\n\t\n}", "Private method", 0.6, InType),
    s("class ", "Name {\n\t\n}", "Class", 0.8, Statement),
    s("interface ", "Name {\n\tvoid method();\n}", "Interface", 0.75, Statement),
    s("enum ", "Name {\n\tFIRST,\n\tSECOND\n}", "Enum", 0.7, Statement),
    s("record ", "Name(String field) {}", "Record", 0.7, Statement),
    s("for ", "(int i = 0; i < $ITEMS.length; i++) {\n\t\n}", "For loop", 0.75, Statement),
    s("for ", "(var $ITEM : $ITEMS) {\n\t\n}", "For-each loop", 0.7, Statement),
    s("for (", "int i = 0; i < $ITEMS.length; i++) {\n\t\n}", "For loop", 0.75, Statement),
    s("while ", "(condition) {\n\t\n}", "While loop", 0.7, Statement),
    s("if ", "(condition) {\n\t\n}", "If statement", 0.7, Statement),
    s("if (", "condition) {\n\t\n}", "If statement", 0.7, Statement),
    s("if ", "($VAR == null) {\n\t\n}", "Null check", 0.55, Statement),
    s("else ", "{\n\t\n}", "Else branch", 0.6, Statement),
    s("switch ", "($VAR) {\n\tcase 1 -> {\n\t}\n\tdefault -> {\n\t}\n}", "Switch", 0.7, Statement),
    s("try ", "{\n\t\n} catch (Exception e) {\n\tthrow new RuntimeException(e);\n}", "Try...catch", 0.7, Statement),
    s("try ", "(var in = new FileInputStream(path)) {\n\t\n}", "Try with resources", 0.55, Statement),
    s("catch ", "(Exception e) {\n\t\n}", "Catch block", 0.65, Statement),
    s("throw ", "new IllegalArgumentException(\"message\");", "Throw an exception", 0.65, Statement),
    s("@Test", "\nvoid testName() {\n\tassertEquals(expected, $VAR);\n}", "JUnit test", 0.75, InType),
    s("@", "Override", "Override annotation", 0.6, InType),
    s("System.out.println(", "$VAR);", "Print a value", 0.65, Anywhere),
    s("return ", "null;", "Return a value", 0.45, Statement),
    s("return ", "$VAR;", "Return a value", 0.45, Statement),
];

#[rustfmt::skip]
static IMPORTS: &[Imports] = &[Imports { trigger: "import ", items: &[
    ("java.util.List;", "Lists"), ("java.util.ArrayList;", "Array list"), ("java.util.Map;", "Maps"),
    ("java.util.HashMap;", "Hash map"), ("java.util.*;", "All of java.util"),
    ("java.util.Set;", "Sets"), ("java.util.HashSet;", "Hash set"), ("java.util.Optional;", "Optional"),
    ("java.io.IOException;", "I/O errors"), ("java.util.stream.Collectors;", "Stream collectors"),
    ("java.nio.file.Files;", "Files"), ("java.nio.file.Path;", "Paths"),
    ("static org.junit.jupiter.api.Assertions.*;", "JUnit assertions"),
    ("org.junit.jupiter.api.Test;", "JUnit test annotation"),
] }];

#[rustfmt::skip]
static MEMBERS: &[(&str, &[&str])] = &[
    ("System", &["out", "err", "in", "currentTimeMillis()", "nanoTime()", "exit()", "getenv()", "getProperty()", "arraycopy()"]),
    ("System.out", &["println()", "print()", "printf()", "flush()"]),
    ("System.err", &["println()", "print()", "printf()"]),
    ("Math", &["max()", "min()", "abs()", "sqrt()", "pow()", "random()", "floor()", "ceil()", "round()", "PI"]),
    ("Arrays", &["asList()", "sort()", "stream()", "toString()", "fill()", "copyOf()", "equals()"]),
    ("Collections", &["sort()", "emptyList()", "unmodifiableList()", "reverse()", "max()", "min()", "singletonList()"]),
    ("List", &["of()", "copyOf()"]),
    ("Map", &["of()", "entry()", "copyOf()"]),
    ("Set", &["of()", "copyOf()"]),
    ("String", &["valueOf()", "format()", "join()"]),
    ("Integer", &["parseInt()", "valueOf()", "MAX_VALUE", "MIN_VALUE", "toString()"]),
    ("Optional", &["of()", "empty()", "ofNullable()"]),
    ("Objects", &["equals()", "hash()", "requireNonNull()", "toString()", "isNull()"]),
    ("Files", &["readString()", "writeString()", "readAllLines()", "exists()", "createDirectories()", "lines()"]),
    ("Path", &["of()"]),
    ("Collectors", &["toList()", "joining()", "groupingBy()", "toMap()", "toSet()", "counting()"]),
    ("#String", &["length()", "charAt()", "substring()", "equals()", "isEmpty()", "contains()", "split()", "trim()", "toLowerCase()", "toUpperCase()", "startsWith()", "endsWith()", "indexOf()", "replace()", "strip()", "isBlank()", "chars()", "equalsIgnoreCase()"]),
    ("#List", &["add()", "get()", "size()", "isEmpty()", "remove()", "contains()", "stream()", "forEach()", "set()", "addAll()", "clear()", "indexOf()", "sort()", "subList()", "iterator()"]),
    ("#Map", &["get()", "put()", "containsKey()", "getOrDefault()", "remove()", "keySet()", "values()", "entrySet()", "size()", "isEmpty()", "putIfAbsent()", "computeIfAbsent()", "merge()", "forEach()"]),
    ("#Set", &["add()", "contains()", "remove()", "size()", "isEmpty()", "stream()", "forEach()", "addAll()"]),
    ("#StringBuilder", &["append()", "toString()", "length()", "insert()", "reverse()", "setLength()", "deleteCharAt()"]),
    ("#Optional", &["isPresent()", "get()", "orElse()", "map()", "ifPresent()", "orElseThrow()", "isEmpty()"]),
    ("#Stream", &["map()", "filter()", "collect()", "forEach()", "reduce()", "sorted()", "count()", "toList()", "anyMatch()", "findFirst()"]),
];

#[rustfmt::skip]
pub(crate) static JAVA: Spec = Spec {
    id: "java",
    base: None,
    family: Family::Java,
    lexical: &LEXICAL,
    indent: "    ",
    keywords: &[
        "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class",
        "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally",
        "float", "for", "if", "implements", "import", "instanceof", "int", "interface", "long",
        "new", "package", "private", "protected", "public", "return", "short", "static",
        "super", "switch", "synchronized", "this", "throw", "throws", "try", "void", "volatile",
        "while", "var", "record", "null", "true", "false", "yield", "sealed", "permits",
    ],
    builtins: &[
        "System", "String", "Integer", "Long", "Double", "Boolean", "Math", "List", "ArrayList",
        "Map", "HashMap", "Set", "HashSet", "Arrays", "Collections", "Optional", "Objects",
        "StringBuilder", "Exception", "RuntimeException", "IllegalArgumentException",
        "IllegalStateException", "IOException", "Thread", "Object", "Override", "Iterator",
        "LinkedList", "Files", "Path", "Collectors", "assertEquals()", "assertTrue()",
    ],
    members: MEMBERS,
    snippets: SNIPPETS,
    imports: IMPORTS,
    self_names: &["this"],
    member_ops: &["."],
    declarers: &["class", "interface", "enum", "record"],
};
