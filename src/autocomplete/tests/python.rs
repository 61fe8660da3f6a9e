//! Python: keywords, snippets, library names and what the document shows.

use super::{at, check, first, labels};

#[test]
fn python_table() {
    check(&[
        // (text at the cursor, language, first line starts with, list holds)
        ("whi|", "python", "while condition:", "while"),
        ("    el|", "python", "    elif condition:", "else"),
        ("try|", "python", "try:", ""),
        ("except |", "python", "except Exception as e:", ""),
        ("with |", "python", "with open(path) as f:", ""),
        (
            "from |",
            "python",
            "from module import name",
            "collections import defaultdict",
        ),
        ("from os import pa|", "python", "from os import path", ""),
        ("import js|", "python", "import json", ""),
        ("import os\nos.path.jo|", "python", "os.path.join", ""),
        ("import json\njson.|", "python", "json.dumps", "loads"),
        ("x = 'a'\nx.st|", "python", "x.strip", "startswith"),
        ("d = {}\nd.|", "python", "d.get", "items"),
        (
            "with open(p) as f:\n    f.|",
            "python",
            "    f.read",
            "write",
        ),
        ("pri|", "python", "print", ""),
        ("isins|", "python", "isinstance", ""),
        ("raise Val|", "python", "raise ValueError", ""),
        ("def te|", "python", "def test_value():", ""),
        ("print(|", "python", "print(\"Hello, World!\")", ""),
        ("lambda |", "python", "lambda x: x", ""),
        ("@|", "python", "@dataclass", "@property"),
    ]);
}

#[test]
fn python_document_context() {
    let account = "class Account:\n    def __init__(self, owner, balance: float):\n        self.owner = owner\n        self.balance = balance\n        self.history = []\n\n    def deposit(self, amount):\n        ";
    check(&[
        // self. offers the attributes the class assigns, and its methods.
        (
            &format!("{account}self.|"),
            "python",
            "        self.owner",
            "deposit",
        ),
        (
            &format!("{account}self.bal|"),
            "python",
            "        self.balance",
            "",
        ),
        // The attribute's type shows its members.
        (
            &format!("{account}self.history.ap|"),
            "python",
            "        self.history.append",
            "",
        ),
        // A value built from a class of the document has its members.
        (
            &format!("{account}\n\nacc = Account('a', 1)\nacc.|"),
            "python",
            "acc.owner",
            "deposit",
        ),
        // A function defined above is offered ahead of keywords and builtins.
        (
            "def total_balance(accounts):\n    return 0\n\nprint(to|)",
            "python",
            "print(total_balance",
            "",
        ),
        // A loop over a plural name in scope names its element.
        ("users = load()\nfor |", "python", "for user in users:", ""),
        // Base classes lend their members.
        (
            "class A:\n    def run(self):\n        pass\n\nclass B(A):\n    def go(self):\n        self.|",
            "python",
            "        self.go",
            "run",
        ),
        // An aliased module's members, as the document uses them.
        (
            "import numpy as np\nx = np.array([1])\ny = np.|",
            "python",
            "y = np.array",
            "",
        ),
    ]);
}

#[test]
fn python_methods_in_classes_and_indentation() {
    // Directly in a class body `def ` proposes the constructor first, once.
    assert_eq!(
        first("class A:\n    def |", "python"),
        "    def __init__(self):\n        pass"
    );
    assert_eq!(
        first(
            "class A:\n    def __init__(self):\n        pass\n    def |",
            "python"
        ),
        "    def method_name(self):\n        pass"
    );
    // After the class, a function again.
    assert_eq!(
        first("class A:\n    x = 1\n\ndef |", "python"),
        "def function_name(args):\n    pass"
    );
    // The document's two-space indentation is kept.
    let two = at("if x:\n  y = 1\nclass |", "python");
    assert_eq!(two[0].text, "ClassName:\n  def __init__(self):\n    pass");
    // Nested under a block, the snippet's lines follow the line's indent.
    let nested = at("def f():\n    try|", "python");
    assert_eq!(
        nested[0].text,
        ":\n        pass\n    except Exception as e:\n        raise"
    );
}

#[test]
fn python_never_completes_inside_strings_comments_or_new_names() {
    assert!(at("s = 'def |'", "python").is_empty());
    assert!(at("# for |", "python").is_empty());
    assert!(at("'''\nclass |\n'''", "python").is_empty());
    assert!(
        labels("total = 1\ndef tot|", "python")
            .iter()
            .all(|l| l != "total"),
        "a new name is not completed from the document"
    );
    // The word being typed is never offered as its own completion.
    assert!(
        labels("value = 1\nvalu|", "python")
            .iter()
            .all(|l| l != "valu")
    );
    assert!(!labels("value = 1\nvalu|", "python").is_empty());
}
