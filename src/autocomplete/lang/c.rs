//! C, and C++ on top of it.

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
    dollar_idents: false,
};

use super::snippet as s;

use Place::{Anywhere, InType, Statement};

#[rustfmt::skip]
static C_SNIPPETS: &[Snippet] = &[
    s("int ", "main(int argc, char *argv[]) {\n\t\n\treturn 0;\n}", "Main function", 0.7, Place::Lacking("main")),
    s("void ", "name(void) {\n\t\n}", "Function", 0.65, Place::OutsideType),
    s("struct ", "Name {\n\tint field;\n};", "Struct", 0.8, Statement),
    s("typedef ", "struct {\n\tint field;\n} Name;", "Typedef'd struct", 0.75, Statement),
    s("enum ", "Name {\n\tFIRST,\n\tSECOND,\n};", "Enum", 0.7, Statement),
    s("for ", "(int i = 0; i < n; i++) {\n\t\n}", "For loop", 0.75, Statement),
    s("for (", "int i = 0; i < n; i++) {\n\t\n}", "For loop", 0.75, Statement),
    s("while ", "(condition) {\n\t\n}", "While loop", 0.7, Statement),
    s("while (", "condition) {\n\t\n}", "While loop", 0.7, Statement),
    s("do ", "{\n\t\n} while (condition);", "Do...while loop", 0.6, Statement),
    s("if ", "(condition) {\n\t\n}", "If statement", 0.7, Statement),
    s("if (", "condition) {\n\t\n}", "If statement", 0.7, Statement),
    s("if ", "($VAR == NULL) {\n\treturn -1;\n}", "Null check", 0.6, Statement),
    s("else ", "{\n\t\n}", "Else branch", 0.6, Statement),
    s("switch ", "($VAR) {\ncase 0:\n\tbreak;\ndefault:\n\tbreak;\n}", "Switch statement", 0.7, Statement),
    s("#include ", "<stdio.h>", "Include a header", 0.7, Statement),
    s("#define ", "NAME value", "Macro", 0.6, Statement),
    s("#ifndef ", "NAME_H\n#define NAME_H\n\n#endif", "Include guard", 0.6, Statement),
    s("printf(", "\"%d\\n\", $VAR);", "Print a value", 0.65, Anywhere),
    s("malloc(", "sizeof(*$VAR) * n);", "Allocate memory", 0.55, Anywhere),
    s("assert(", "$VAR);", "Assertion (test)", 0.55, Anywhere),
    s("return ", "0;", "Return", 0.5, Statement),
];

#[rustfmt::skip]
static CPP_SNIPPETS: &[Snippet] = &[
    s("class ", "Name {\npublic:\n\tName();\n\t~Name();\n\nprivate:\n\tint field_;\n};", "Class", 0.8, Statement),
    s("namespace ", "name {\n\n}  // namespace name", "Namespace", 0.7, Statement),
    s("for ", "(const auto& $ITEM : $ITEMS) {\n\t\n}", "Range-for loop", 0.75, Statement),
    s("for (", "const auto& $ITEM : $ITEMS) {\n\t\n}", "Range-for loop", 0.75, Statement),
    s("try ", "{\n\t\n} catch (const std::exception& e) {\n\tstd::cerr << e.what() << '\\n';\n}", "Try...catch", 0.7, Statement),
    s("catch ", "(const std::exception& e) {\n\t\n}", "Catch block", 0.65, Statement),
    s("template ", "<typename T>", "Template", 0.7, Statement),
    s("#include ", "<iostream>", "Include a header", 0.7, Statement),
    s("std::cout << ", "$VAR << '\\n';", "Print a value", 0.65, Anywhere),
    s("TEST(", "Suite, Name) {\n\tEXPECT_EQ($VAR, expected);\n}", "GoogleTest test", 0.7, Statement),
    s("virtual ", "~$TYPE() = default;", "Virtual destructor", 0.6, InType),
    s("auto ", "name = ", "Deduced variable", 0.55, Statement),
];

#[rustfmt::skip]
static C_IMPORTS: &[Imports] = &[
    Imports { trigger: "#include <", items: &[
        ("stdio.h>", "Standard I/O"), ("stdlib.h>", "Memory, conversions, exit"),
        ("string.h>", "Strings and memory"), ("stdbool.h>", "bool"), ("stdint.h>", "Fixed-width integers"),
        ("math.h>", "Math"), ("assert.h>", "Assertions"), ("errno.h>", "Error numbers"),
        ("ctype.h>", "Character classes"), ("time.h>", "Time"), ("unistd.h>", "POSIX"),
    ] },
];

#[rustfmt::skip]
static CPP_IMPORTS: &[Imports] = &[
    Imports { trigger: "#include <", items: &[
        ("iostream>", "Streams"), ("vector>", "std::vector"), ("string>", "std::string"),
        ("map>", "std::map"), ("unordered_map>", "std::unordered_map"), ("memory>", "Smart pointers"),
        ("algorithm>", "Algorithms"), ("set>", "std::set"), ("optional>", "std::optional"),
        ("fstream>", "File streams"), ("sstream>", "String streams"), ("thread>", "Threads"),
        ("mutex>", "Mutexes"), ("functional>", "std::function"), ("cstdio>", "C I/O"),
    ] },
    Imports { trigger: "using ", items: &[("namespace std;", "Import namespace std"), ("std::string;", "Import a name")] },
];

#[rustfmt::skip]
static CPP_MEMBERS: &[(&str, &[&str])] = &[
    ("std", &["cout", "endl", "string", "vector", "map", "unordered_map", "make_unique()", "make_shared()", "move()", "sort()", "cerr", "cin", "optional", "pair", "set", "unique_ptr", "shared_ptr", "to_string()", "getline()", "min()", "max()", "find()", "size_t", "function", "array", "thread", "mutex", "lock_guard"]),
    ("#vector", &["push_back()", "size()", "empty()", "begin()", "end()", "emplace_back()", "pop_back()", "clear()", "at()", "back()", "front()", "reserve()", "resize()", "insert()", "erase()", "data()"]),
    ("#string", &["size()", "length()", "empty()", "substr()", "find()", "c_str()", "append()", "push_back()", "begin()", "end()", "compare()", "replace()", "at()", "clear()"]),
    ("#map", &["insert()", "find()", "count()", "erase()", "size()", "empty()", "begin()", "end()", "at()", "emplace()", "contains()", "clear()"]),
    ("#unordered_map", &["insert()", "find()", "count()", "erase()", "size()", "empty()", "begin()", "end()", "at()", "emplace()", "contains()", "clear()"]),
    ("#set", &["insert()", "find()", "count()", "erase()", "size()", "empty()", "contains()", "begin()", "end()"]),
    ("#unique_ptr", &["get()", "reset()", "release()"]),
    ("#shared_ptr", &["get()", "reset()", "use_count()"]),
];

#[rustfmt::skip]
pub(crate) static C: Spec = Spec {
    id: "c",
    base: None,
    family: Family::C,
    lexical: &LEXICAL,
    indent: "    ",
    keywords: &[
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
        "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
        "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
        "typedef", "union", "unsigned", "void", "volatile", "while", "bool", "true", "false",
        "NULL", "include", "define", "ifndef", "ifdef", "endif",
    ],
    builtins: &[
        "printf()", "scanf()", "malloc()", "calloc()", "realloc()", "free()", "memcpy()",
        "memset()", "strlen()", "strcmp()", "strcpy()", "strncpy()", "strcat()", "fopen()",
        "fclose()", "fprintf()", "fgets()", "puts()", "exit()", "snprintf()", "sprintf()",
        "atoi()", "qsort()", "perror()", "fread()", "fwrite()", "size_t", "FILE", "EXIT_SUCCESS",
        "EXIT_FAILURE", "stderr", "stdout", "stdin", "uint8_t", "int32_t", "uint32_t", "int64_t",
        "uint64_t", "assert()", "errno", "EOF",
    ],
    members: &[],
    snippets: C_SNIPPETS,
    imports: C_IMPORTS,
    self_names: &[],
    member_ops: &[".", "->"],
    declarers: &["struct", "enum", "union", "define"],
};

#[rustfmt::skip]
pub(crate) static CPP: Spec = Spec {
    id: "cpp",
    base: Some(&C),
    family: Family::C,
    lexical: &LEXICAL,
    indent: "    ",
    keywords: &[
        "class", "namespace", "template", "typename", "public", "private", "protected",
        "virtual", "override", "using", "new", "delete", "nullptr", "try", "catch", "throw",
        "const_cast", "static_cast", "dynamic_cast", "reinterpret_cast", "constexpr",
        "noexcept", "explicit", "friend", "operator", "this", "final", "mutable", "decltype",
        "co_await", "concept", "requires",
    ],
    builtins: &["std", "EXPECT_EQ()", "ASSERT_EQ()", "EXPECT_TRUE()"],
    members: CPP_MEMBERS,
    snippets: CPP_SNIPPETS,
    imports: CPP_IMPORTS,
    self_names: &["this"],
    member_ops: &[".", "->", "::"],
    declarers: &["class", "namespace", "typename"],
};
