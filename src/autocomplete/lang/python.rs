//! Python.

use super::{Family, Imports, Place, Snippet, Spec};
use crate::autocomplete::lex::Lexical;

static LEXICAL: Lexical = Lexical {
    line_comment: "#",
    block_comment: false,
    nested_comments: false,
    python_strings: true,
    single_quote_strings: true,
    backtick_strings: false,
    rust_literals: false,
    dollar_idents: false,
};

use super::{habit, snippet as s};

use Place::{Anywhere, InType, InTypeLacking, OutsideType, Statement};

#[rustfmt::skip]
static SNIPPETS: &[Snippet] = &[
    s("def test", "_$VAR():\n\tassert $VAR", "Test function", 0.8, Statement),
    s("def ", "__init__(self):\n\tpass", "Constructor", 0.85, InTypeLacking("__init__")),
    s("def ", "method_name(self):\n\tpass", "Method definition", 0.8, InType),
    s("def ", "function_name(args):\n\tpass", "Function definition", 0.8, OutsideType),
    s("async def ", "function_name(args):\n\tawait", "Coroutine definition", 0.75, Statement),
    s("class ", "ClassName:\n\tdef __init__(self):\n\t\tpass", "Class definition", 0.8, Statement),
    s("class ", "TestClassName(unittest.TestCase):\n\tdef test_something(self):\n\t\tself.assertEqual(1, 1)", "Test case class", 0.6, Statement),
    s("for ", "$ITEM in $ITEMS:", "For loop", 0.75, Statement),
    s("for ", "i in range(len($ITEMS)):", "For loop over indices", 0.65, Statement),
    s("for ", "i, $ITEM in enumerate($ITEMS):", "For loop with index", 0.6, Statement),
    s("while ", "condition:", "While loop", 0.7, Statement),
    s("while ", "True:", "Endless loop", 0.6, Statement),
    s("elif ", "condition:", "Else-if branch", 0.7, Statement),
    s("if ", "condition:", "If statement", 0.7, Statement),
    s("if ", "__name__ == \"__main__\":\n\tmain()", "Script entry point", 0.6, Statement),
    s("if ", "$VAR is None:", "None check", 0.55, Statement),
    s("else", ":", "Else branch", 0.6, Statement),
    s("try", ":\n\tpass\nexcept Exception as e:\n\traise", "Try block", 0.7, Statement),
    s("try:", "\n\tpass\nexcept Exception as e:\n\traise", "Try block", 0.7, Statement),
    s("except ", "Exception as e:", "Exception handler", 0.7, Statement),
    s("except ", "(ValueError, TypeError) as e:", "Handler for several exceptions", 0.6, Statement),
    s("finally", ":", "Finally block", 0.6, Statement),
    s("with ", "open(path) as f:", "Context manager", 0.6, Statement),
    s("with ", "open(path, \"w\") as f:\n\tf.write(text)", "Write a file", 0.55, Statement),
    s("raise ", "ValueError(\"message\")", "Raise an exception", 0.6, Statement),
    s("print(", "\"Hello, World!\")", "Print a value", 0.6, Anywhere),
    s("print(", "f\"{$VAR}\")", "Print a variable", 0.55, Anywhere),
    s("return ", "None", "Return a value", 0.5, Statement),
    s("return ", "$VAR", "Return a value", 0.45, Statement),
    s("lambda ", "x: x", "Lambda expression", 0.5, Anywhere),
    s("assert ", "$VAR == expected", "Assertion", 0.5, Statement),
    s("@", "dataclass", "Dataclass decorator", 0.5, Statement),
    s("@", "property", "Property decorator", 0.45, Statement),
    s("@", "staticmethod", "Static method decorator", 0.4, Statement),
    habit("function ", "def function_name(args):\n\tpass", "Function definition (Python spells function as def)"),
    habit("const ", "NAME = value", "Constant (Python: an upper-case name by convention)"),
    habit("let ", "name = value", "Variable (Python needs no let)"),
    habit("var ", "name = value", "Variable (Python needs no var)"),
    habit("else if ", "elif condition:", "Else-if branch (Python spells it elif)"),
];

#[rustfmt::skip]
static IMPORTS: &[Imports] = &[
    Imports { trigger: "import ", items: &[
        ("os", "Import a module"), ("sys", "Import a module"), ("re", "Import a module"),
        ("json", "Import a module"), ("math", "Import a module"), ("time", "Import a module"),
        ("datetime", "Import a module"), ("collections", "Import a module"),
        ("itertools", "Import a module"), ("functools", "Import a module"),
        ("pathlib", "Import a module"), ("typing", "Import a module"),
        ("logging", "Import a module"), ("random", "Import a module"),
        ("subprocess", "Import a module"), ("asyncio", "Import a module"),
        ("unittest", "Import a module"), ("argparse", "Import a module"),
        ("dataclasses", "Import a module"), ("csv", "Import a module"),
    ] },
    Imports { trigger: "from ", items: &[
        ("module import name", "Import from a module"),
        ("typing import Optional", "Import from typing"),
        ("collections import defaultdict", "Import from collections"),
        ("dataclasses import dataclass", "Import from dataclasses"),
        ("pathlib import Path", "Import from pathlib"),
        ("datetime import datetime", "Import from datetime"),
        ("os import path", "Import from os"),
    ] },
];

#[rustfmt::skip]
static MEMBERS: &[(&str, &[&str])] = &[
    ("os", &["path", "getcwd()", "listdir()", "environ", "makedirs()", "remove()", "rename()", "walk()", "getenv()", "sep", "mkdir()", "chdir()"]),
    ("os.path", &["join()", "exists()", "dirname()", "basename()", "abspath()", "splitext()", "isfile()", "isdir()", "getsize()", "expanduser()"]),
    ("sys", &["argv", "exit()", "path", "stdin", "stdout", "stderr", "version", "platform", "modules"]),
    ("json", &["dumps()", "loads()", "dump()", "load()", "JSONDecodeError"]),
    ("re", &["match()", "search()", "findall()", "sub()", "compile()", "split()", "fullmatch()", "finditer()", "escape()", "IGNORECASE"]),
    ("math", &["sqrt()", "floor()", "ceil()", "pi", "log()", "sin()", "cos()", "inf", "isclose()", "gcd()", "exp()", "pow()"]),
    ("time", &["time()", "sleep()", "perf_counter()", "monotonic()", "strftime()"]),
    ("datetime", &["datetime", "date", "timedelta", "timezone"]),
    ("collections", &["defaultdict", "Counter", "OrderedDict", "deque", "namedtuple()"]),
    ("itertools", &["chain()", "product()", "permutations()", "combinations()", "groupby()", "islice()", "count()", "cycle()"]),
    ("functools", &["lru_cache()", "partial()", "reduce()", "wraps()", "cache()"]),
    ("random", &["random()", "randint()", "choice()", "shuffle()", "sample()", "uniform()", "seed()"]),
    ("logging", &["getLogger()", "info()", "warning()", "error()", "debug()", "basicConfig()", "INFO", "DEBUG"]),
    ("typing", &["Optional", "List", "Dict", "Any", "Union", "Callable", "Tuple", "Iterable", "TypeVar"]),
    ("pathlib", &["Path"]),
    ("subprocess", &["run()", "Popen", "check_output()", "PIPE", "CalledProcessError"]),
    ("asyncio", &["run()", "sleep()", "gather()", "create_task()", "Queue", "wait_for()", "Lock"]),
    ("unittest", &["TestCase", "main()", "mock", "skip()"]),
    ("dataclasses", &["dataclass", "field()", "asdict()"]),
    ("#str", &["join()", "split()", "strip()", "replace()", "startswith()", "endswith()", "lower()", "upper()", "format()", "find()", "encode()", "splitlines()", "isdigit()", "count()"]),
    ("#list", &["append()", "extend()", "pop()", "insert()", "remove()", "sort()", "index()", "count()", "reverse()", "copy()", "clear()"]),
    ("#dict", &["get()", "items()", "keys()", "values()", "update()", "pop()", "setdefault()", "copy()", "clear()"]),
    ("#set", &["add()", "remove()", "discard()", "union()", "intersection()", "difference()", "update()", "pop()"]),
    ("#tuple", &["count()", "index()"]),
    ("#file", &["read()", "write()", "readlines()", "close()", "readline()"]),
];

#[rustfmt::skip]
pub(crate) static PYTHON: Spec = Spec {
    id: "python",
    base: None,
    family: Family::Python,
    lexical: &LEXICAL,
    indent: "    ",
    keywords: &[
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
        "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
        "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
        "try", "while", "with", "yield", "match", "case", "self",
    ],
    builtins: &[
        "print()", "len()", "range()", "enumerate()", "zip()", "isinstance()", "sorted()",
        "open()", "str()", "int()", "list()", "dict()", "set()", "tuple()", "float()", "bool()",
        "sum()", "min()", "max()", "abs()", "map()", "filter()", "reversed()", "any()", "all()",
        "input()", "super()", "type()", "hasattr()", "getattr()", "setattr()", "iter()", "next()",
        "repr()", "round()", "format()", "callable()", "id()", "hash()", "divmod()", "ord()",
        "chr()", "vars()", "dir()", "property", "staticmethod", "classmethod",
        "Exception", "ValueError", "TypeError", "KeyError", "IndexError", "RuntimeError",
        "NotImplementedError", "AttributeError", "StopIteration", "FileNotFoundError",
        "OSError", "ZeroDivisionError", "AssertionError", "KeyboardInterrupt",
    ],
    members: MEMBERS,
    snippets: SNIPPETS,
    imports: IMPORTS,
    self_names: &["self", "cls"],
    member_ops: &["."],
    declarers: &["def", "class", "as", "import"],
};
