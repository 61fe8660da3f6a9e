//! JavaScript (and TypeScript) rules, most specific first.

use super::Rule;

#[rustfmt::skip]
pub(crate) const RULES: &[Rule] = &[
    Rule { trigger: "function ", completion: "name(params) {\n  \n}", confidence: 0.8, description: "Function declaration" },
    Rule { trigger: "const ", completion: "name = ", confidence: 0.6, description: "Constant" },
    Rule { trigger: "let ", completion: "name = ", confidence: 0.6, description: "Variable" },
    Rule { trigger: "for (", completion: "let i = 0; i < array.length; i++) {\n  \n}", confidence: 0.75, description: "For loop" },
    Rule { trigger: "while (", completion: "condition) {\n  \n}", confidence: 0.7, description: "While loop" },
    Rule { trigger: "if (", completion: "condition) {\n  \n}", confidence: 0.7, description: "If statement" },
    Rule { trigger: "class ", completion: "Name {\n  constructor() {\n  }\n}", confidence: 0.75, description: "Class declaration" },
    Rule { trigger: "import ", completion: "{ name } from 'module';", confidence: 0.6, description: "Import from a module" },
    Rule { trigger: "console.", completion: "log()", confidence: 0.7, description: "Log to the console" },
    Rule { trigger: "=> ", completion: "{\n  \n}", confidence: 0.5, description: "Arrow function body" },
    Rule { trigger: "return ", completion: "null;", confidence: 0.5, description: "Return a value" },
];
