//! Python rules, most specific first.

use super::Rule;

#[rustfmt::skip]
pub(crate) const RULES: &[Rule] = &[
    Rule { trigger: "def ", completion: "function_name(args):\n    pass", confidence: 0.8, description: "Function definition" },
    Rule { trigger: "class ", completion: "ClassName:\n    def __init__(self):\n        pass", confidence: 0.8, description: "Class definition" },
    Rule { trigger: "for ", completion: "item in items:", confidence: 0.75, description: "For loop" },
    Rule { trigger: "while ", completion: "condition:", confidence: 0.7, description: "While loop" },
    Rule { trigger: "elif ", completion: "condition:", confidence: 0.7, description: "Else-if branch" },
    Rule { trigger: "if ", completion: "condition:", confidence: 0.7, description: "If statement" },
    Rule { trigger: "from ", completion: "module import name", confidence: 0.65, description: "Import from a module" },
    Rule { trigger: "import ", completion: "os", confidence: 0.6, description: "Import a module" },
    Rule { trigger: "try:", completion: "\n    pass\nexcept Exception as e:\n    raise", confidence: 0.7, description: "Try block" },
    Rule { trigger: "with ", completion: "open(path) as f:", confidence: 0.6, description: "Context manager" },
    Rule { trigger: "print(", completion: "\"Hello, World!\")", confidence: 0.6, description: "Print a value" },
    Rule { trigger: "return ", completion: "None", confidence: 0.5, description: "Return a value" },
    Rule { trigger: "lambda ", completion: "x: x", confidence: 0.5, description: "Lambda expression" },
];
