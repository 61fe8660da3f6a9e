//! JavaScript, and TypeScript on top of it.

use super::{Family, Imports, Place, Snippet, Spec};
use crate::autocomplete::lex::Lexical;

static LEXICAL: Lexical = Lexical {
    line_comment: "//",
    block_comment: true,
    nested_comments: false,
    python_strings: false,
    single_quote_strings: true,
    backtick_strings: true,
    rust_literals: false,
    dollar_idents: true,
};

use super::{habit, snippet as s};

use Place::{Anywhere, InType, OutsideType, Statement};

#[rustfmt::skip]
static JS_SNIPPETS: &[Snippet] = &[
    s("function ", "name(params) {\n\t\n}", "Function declaration", 0.8, Statement),
    s("async function ", "name(params) {\n\tawait \n}", "Async function", 0.75, Statement),
    s("const ", "name = ", "Constant", 0.6, Statement),
    s("const ", "name = (params) => {\n\t\n};", "Arrow function", 0.55, Statement),
    s("const ", "{ name } = require('module');", "Require a module", 0.45, Statement),
    s("let ", "name = ", "Variable", 0.6, Statement),
    s("for ", "(let i = 0; i < $ITEMS.length; i++) {\n\t\n}", "For loop", 0.75, Statement),
    s("for ", "(const $ITEM of $ITEMS) {\n\t\n}", "For...of loop", 0.7, Statement),
    s("for ", "(const key in object) {\n\t\n}", "For...in loop", 0.55, Statement),
    s("for (", "let i = 0; i < $ITEMS.length; i++) {\n\t\n}", "For loop", 0.75, Statement),
    s("for (", "const $ITEM of $ITEMS) {\n\t\n}", "For...of loop", 0.7, Statement),
    s("while ", "(condition) {\n\t\n}", "While loop", 0.7, Statement),
    s("while (", "condition) {\n\t\n}", "While loop", 0.7, Statement),
    s("do ", "{\n\t\n} while (condition);", "Do...while loop", 0.6, Statement),
    s("if ", "(condition) {\n\t\n}", "If statement", 0.7, Statement),
    s("if (", "condition) {\n\t\n}", "If statement", 0.7, Statement),
    s("else if ", "(condition) {\n\t\n}", "Else-if branch", 0.7, Statement),
    s("else ", "{\n\t\n}", "Else branch", 0.65, Statement),
    s("switch ", "(value) {\n\tcase 1:\n\t\tbreak;\n\tdefault:\n\t\tbreak;\n}", "Switch statement", 0.7, Statement),
    s("try ", "{\n\t\n} catch (error) {\n\tconsole.error(error);\n}", "Try...catch", 0.7, Statement),
    s("try", " {\n\t\n} catch (error) {\n\tconsole.error(error);\n}", "Try...catch", 0.65, Statement),
    s("catch ", "(error) {\n\t\n}", "Catch block", 0.65, Statement),
    s("class ", "Name {\n\tconstructor() {\n\t}\n}", "Class declaration", 0.75, Statement),
    s("class ", "Name extends Base {\n\tconstructor() {\n\t\tsuper();\n\t}\n}", "Subclass", 0.6, Statement),
    s("constructor", "() {\n\t\n}", "Constructor", 0.75, InType),
    s("import ", "{ name } from 'module';", "Import from a module", 0.6, Statement),
    s("import ", "name from 'module';", "Import a default export", 0.55, Statement),
    s("import ", "* as name from 'module';", "Import a namespace", 0.5, Statement),
    s("export ", "function name(params) {\n\t\n}", "Exported function", 0.6, OutsideType),
    s("export ", "default ", "Default export", 0.5, OutsideType),
    s("=> ", "{\n\t\n}", "Arrow function body", 0.5, Anywhere),
    s("return ", "null;", "Return a value", 0.5, Statement),
    s("return ", "$VAR;", "Return a value", 0.45, Statement),
    s("throw ", "new Error('message');", "Throw an error", 0.65, Statement),
    s("test(", "'does something', () => {\n\texpect($VAR).toBe(expected);\n});", "Test case", 0.7, Statement),
    s("it(", "'does something', () => {\n\texpect($VAR).toBe(expected);\n});", "Test case", 0.7, Statement),
    s("describe(", "'name', () => {\n\ttest('does something', () => {\n\t\texpect(true).toBe(true);\n\t});\n});", "Test suite", 0.7, Statement),
    s("setTimeout(", "() => {\n\t\n}, 1000);", "Run later", 0.6, Anywhere),
    s("new Promise(", "(resolve, reject) => {\n\t\n});", "Promise", 0.6, Anywhere),
    habit("def ", "function name(params) {\n\t\n}", "Function declaration (JavaScript spells def as function)"),
    habit("elif ", "else if (condition) {\n\t\n}", "Else-if branch (JavaScript spells elif as else if)"),
    habit("from ", "import { name } from 'module';", "Import from a module (JavaScript: import ... from)"),
];

#[rustfmt::skip]
static TS_SNIPPETS: &[Snippet] = &[
    s("function ", "name(params: Type): ReturnType {\n\t\n}", "Function declaration", 0.8, Statement),
    s("interface ", "Name {\n\tfield: string;\n}", "Interface", 0.75, Statement),
    s("type ", "Name = {\n\tfield: string;\n};", "Type alias", 0.7, Statement),
    s("enum ", "Name {\n\tFirst,\n\tSecond,\n}", "Enum", 0.7, Statement),
    s("class ", "Name {\n\tconstructor(private readonly field: string) {\n\t}\n}", "Class declaration", 0.75, Statement),
];

#[rustfmt::skip]
static JS_IMPORTS: &[Imports] = &[Imports { trigger: "require(", items: &[
    ("'fs')", "Node.js file system"), ("'path')", "Node.js paths"), ("'http')", "Node.js HTTP"),
    ("'os')", "Node.js OS"), ("'child_process')", "Node.js processes"), ("'events')", "Node.js events"),
] }];

#[rustfmt::skip]
static JS_MEMBERS: &[(&str, &[&str])] = &[
    ("console", &["log()", "error()", "warn()", "info()", "debug()", "table()", "time()", "timeEnd()", "assert()"]),
    ("Math", &["floor()", "random()", "max()", "min()", "round()", "abs()", "ceil()", "sqrt()", "pow()", "PI", "sign()", "trunc()", "log()"]),
    ("JSON", &["stringify()", "parse()"]),
    ("Object", &["keys()", "entries()", "values()", "assign()", "freeze()", "fromEntries()", "create()", "defineProperty()"]),
    ("Array", &["isArray()", "from()", "of()"]),
    ("Promise", &["all()", "resolve()", "reject()", "allSettled()", "race()", "any()"]),
    ("Number", &["isInteger()", "parseFloat()", "parseInt()", "isNaN()", "MAX_SAFE_INTEGER", "EPSILON"]),
    ("String", &["fromCharCode()", "raw()"]),
    ("Date", &["now()", "parse()", "UTC()"]),
    ("document", &["getElementById()", "querySelector()", "querySelectorAll()", "createElement()", "addEventListener()", "body", "title", "head"]),
    ("window", &["addEventListener()", "location", "localStorage", "setTimeout()", "requestAnimationFrame()", "innerWidth", "fetch()"]),
    ("localStorage", &["getItem()", "setItem()", "removeItem()", "clear()"]),
    ("process", &["env", "argv", "exit()", "cwd()", "on()", "platform"]),
    ("fs", &["readFileSync()", "writeFileSync()", "existsSync()", "readFile()", "writeFile()", "mkdirSync()", "promises", "readdirSync()"]),
    ("path", &["join()", "resolve()", "dirname()", "basename()", "extname()"]),
    ("#Array", &["map()", "filter()", "reduce()", "forEach()", "push()", "find()", "includes()", "indexOf()", "slice()", "splice()", "join()", "some()", "every()", "sort()", "length", "concat()", "pop()", "shift()", "findIndex()", "flatMap()"]),
    ("#String", &["length", "split()", "trim()", "includes()", "startsWith()", "endsWith()", "replace()", "toLowerCase()", "toUpperCase()", "slice()", "indexOf()", "padStart()", "repeat()", "replaceAll()"]),
    ("#Map", &["get()", "set()", "has()", "delete()", "size", "keys()", "values()", "entries()", "forEach()", "clear()"]),
    ("#Set", &["add()", "has()", "delete()", "size", "forEach()", "clear()", "values()"]),
    ("#Promise", &["then()", "catch()", "finally()"]),
    ("#Object", &["hasOwnProperty()", "toString()"]),
];

#[rustfmt::skip]
pub(crate) static JAVASCRIPT: Spec = Spec {
    id: "javascript",
    base: None,
    family: Family::JavaScript,
    lexical: &LEXICAL,
    indent: "  ",
    keywords: &[
        "async", "await", "break", "case", "catch", "class", "const", "continue", "debugger",
        "default", "delete", "do", "else", "export", "extends", "finally", "for", "function",
        "if", "import", "in", "instanceof", "let", "new", "of", "return", "static", "super",
        "switch", "this", "throw", "try", "typeof", "var", "void", "while", "yield", "null",
        "undefined", "true", "false", "get", "set", "from",
    ],
    builtins: &[
        "console", "Math", "JSON", "Object", "Array", "Promise", "String", "Number", "Boolean",
        "Date", "Map", "Set", "Error", "TypeError", "RegExp", "Symbol", "parseInt()",
        "parseFloat()", "setTimeout()", "clearTimeout()", "setInterval()", "clearInterval()",
        "fetch()", "document", "window", "require()", "module", "exports", "process",
        "structuredClone()", "encodeURIComponent()", "isNaN()", "globalThis", "WeakMap",
    ],
    members: JS_MEMBERS,
    snippets: JS_SNIPPETS,
    imports: JS_IMPORTS,
    self_names: &["this"],
    member_ops: &["."],
    declarers: &["function", "class", "const", "let", "var", "as"],
};

#[rustfmt::skip]
pub(crate) static TYPESCRIPT: Spec = Spec {
    id: "typescript",
    base: Some(&JAVASCRIPT),
    family: Family::JavaScript,
    lexical: &LEXICAL,
    indent: "  ",
    keywords: &[
        "interface", "type", "enum", "implements", "private", "protected", "public", "readonly",
        "abstract", "declare", "namespace", "keyof", "as", "is", "any", "unknown", "never",
        "string", "number", "boolean", "satisfies", "infer", "override",
    ],
    builtins: &["Record", "Partial", "Readonly", "Pick", "Omit", "ReturnType", "Promise", "Array"],
    members: &[],
    snippets: TS_SNIPPETS,
    imports: &[],
    self_names: &["this"],
    member_ops: &["."],
    declarers: &["interface", "type", "enum", "namespace"],
};
