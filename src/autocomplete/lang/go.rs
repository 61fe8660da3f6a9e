//! Go.

use super::{Family, Imports, Place, Snippet, Spec};
use crate::autocomplete::lex::Lexical;

static LEXICAL: Lexical = Lexical {
    line_comment: "//",
    block_comment: true,
    nested_comments: false,
    python_strings: false,
    single_quote_strings: false,
    backtick_strings: true,
    rust_literals: false,
    dollar_idents: false,
};

use super::snippet as s;

use Place::{Anywhere, Statement};

#[rustfmt::skip]
static SNIPPETS: &[Snippet] = &[
    s("func Test", "Name(t *testing.T) {\n\tgot := $VAR\n\tif got != want {\n\t\tt.Errorf(\"got %v, want %v\", got, want)\n\t}\n}", "Test function", 0.8, Statement),
    s("func ", "name(args) {\n\t\n}", "Function", 0.8, Statement),
    s("func ", "main() {\n\t\n}", "Main function", 0.6, Place::Lacking("main")),
    s("func ", "(r *$TYPE) Method() {\n\t\n}", "Method", 0.6, Statement),
    s("type ", "Name struct {\n\tField string\n}", "Struct type", 0.8, Statement),
    s("type ", "Name interface {\n\tMethod() error\n}", "Interface type", 0.7, Statement),
    s("for ", "i := 0; i < n; i++ {\n\t\n}", "For loop", 0.75, Statement),
    s("for ", "_, $ITEM := range $ITEMS {\n\t\n}", "For-range loop", 0.75, Statement),
    s("for ", "condition {\n\t\n}", "While-style loop", 0.6, Statement),
    s("if ", "err != nil {\n\treturn err\n}", "Error check", 0.75, Statement),
    s("if ", "condition {\n\t\n}", "If statement", 0.7, Statement),
    s("else ", "{\n\t\n}", "Else branch", 0.6, Statement),
    s("switch ", "$VAR {\ncase value:\n\t\ndefault:\n\t\n}", "Switch statement", 0.7, Statement),
    s("select ", "{\ncase msg := <-ch:\n\t\ndefault:\n}", "Select statement", 0.6, Statement),
    s("go ", "func() {\n\t\n}()", "Goroutine", 0.65, Statement),
    s("defer ", "f.Close()", "Deferred call", 0.55, Statement),
    s("var ", "name Type", "Variable", 0.6, Statement),
    s("const ", "name = value", "Constant", 0.6, Statement),
    s("package ", "main", "Package clause", 0.7, Statement),
    s("return ", "nil", "Return", 0.5, Statement),
    s("return ", "nil, err", "Return an error", 0.5, Statement),
    s("fmt.Println(", "$VAR)", "Print a value", 0.6, Anywhere),
    s("fmt.Errorf(", "\"context: %w\", err)", "Wrap an error", 0.6, Anywhere),
    s("make(", "[]string, 0)", "Make a slice", 0.55, Anywhere),
    s("make(", "map[string]int)", "Make a map", 0.5, Anywhere),
];

#[rustfmt::skip]
static IMPORTS: &[Imports] = &[Imports { trigger: "import ", items: &[
    ("\"fmt\"", "Formatted I/O"), ("(\n\t\"fmt\"\n\t\"os\"\n)", "Import block"),
    ("\"strings\"", "Strings"), ("\"os\"", "Operating system"), ("\"errors\"", "Errors"),
    ("\"strconv\"", "Conversions"), ("\"time\"", "Time"), ("\"sync\"", "Synchronisation"),
    ("\"net/http\"", "HTTP"), ("\"encoding/json\"", "JSON"), ("\"io\"", "I/O"),
    ("\"bufio\"", "Buffered I/O"), ("\"sort\"", "Sorting"), ("\"context\"", "Contexts"),
    ("\"testing\"", "Tests"), ("\"math\"", "Math"), ("\"log\"", "Logging"),
] }];

#[rustfmt::skip]
static MEMBERS: &[(&str, &[&str])] = &[
    ("fmt", &["Println()", "Printf()", "Sprintf()", "Errorf()", "Fprintf()", "Print()", "Sprint()", "Sscanf()", "Fprintln()", "Stringer"]),
    ("strings", &["Contains()", "Split()", "Join()", "HasPrefix()", "HasSuffix()", "TrimSpace()", "Replace()", "ReplaceAll()", "ToLower()", "ToUpper()", "Fields()", "Index()", "Builder", "Repeat()", "Trim()", "EqualFold()"]),
    ("os", &["Exit()", "Args", "Getenv()", "Open()", "Create()", "ReadFile()", "WriteFile()", "Stdout", "Stderr", "Stdin", "MkdirAll()", "Remove()"]),
    ("errors", &["New()", "Is()", "As()", "Unwrap()", "Join()"]),
    ("strconv", &["Itoa()", "Atoi()", "ParseInt()", "FormatInt()", "ParseFloat()", "ParseBool()", "Quote()"]),
    ("time", &["Now()", "Since()", "Sleep()", "Duration", "Second", "Millisecond", "Minute", "Hour", "After()", "NewTicker()", "Tick()"]),
    ("sync", &["Mutex", "WaitGroup", "Once", "RWMutex", "Map", "Pool"]),
    ("http", &["ListenAndServe()", "HandleFunc()", "Get()", "ResponseWriter", "Request", "NewServeMux()", "StatusOK", "Error()", "Client", "NewRequest()"]),
    ("json", &["Marshal()", "Unmarshal()", "NewEncoder()", "NewDecoder()", "MarshalIndent()"]),
    ("io", &["Reader", "Writer", "ReadAll()", "Copy()", "EOF"]),
    ("bufio", &["NewScanner()", "NewReader()", "NewWriter()", "ScanLines"]),
    ("sort", &["Slice()", "Strings()", "Ints()", "Search()", "SliceStable()"]),
    ("context", &["Background()", "WithCancel()", "WithTimeout()", "Context", "TODO()"]),
    ("math", &["Max()", "Min()", "Abs()", "Sqrt()", "Floor()", "Ceil()", "Pow()", "Inf()", "MaxInt"]),
    ("log", &["Println()", "Printf()", "Fatal()", "Fatalf()"]),
    ("t", &["Errorf()", "Fatalf()", "Run()", "Helper()", "Log()", "Skip()", "Fatal()"]),
    ("#testing.T", &["Errorf()", "Fatalf()", "Run()", "Helper()", "Log()", "Skip()", "Fatal()", "Cleanup()", "TempDir()"]),
    ("#sync.WaitGroup", &["Add()", "Done()", "Wait()"]),
    ("#sync.Mutex", &["Lock()", "Unlock()"]),
    ("#strings.Builder", &["WriteString()", "String()", "Len()", "Reset()"]),
];

#[rustfmt::skip]
pub(crate) static GO: Spec = Spec {
    id: "go",
    base: None,
    family: Family::Go,
    lexical: &LEXICAL,
    indent: "\t",
    keywords: &[
        "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough",
        "for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range",
        "return", "select", "struct", "switch", "type", "var", "nil", "true", "false", "iota",
    ],
    builtins: &[
        "append()", "len()", "make()", "cap()", "copy()", "delete()", "new()", "panic()",
        "recover()", "close()", "print()", "println()", "min()", "max()", "error", "string",
        "int", "int64", "float64", "bool", "byte", "rune", "any", "uint", "int32",
    ],
    members: MEMBERS,
    snippets: SNIPPETS,
    imports: IMPORTS,
    self_names: &[],
    member_ops: &["."],
    declarers: &["func", "type", "var", "const", "package"],
};
