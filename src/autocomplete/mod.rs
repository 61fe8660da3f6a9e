//! Code suggestions behind a small interface, so a richer engine can
//! replace the prototype's rules without touching the HTTP layer.

mod javascript;
mod python;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub suggestion: String,
    /// In [0, 1].
    pub confidence: f64,
    pub description: String,
}

impl Suggestion {
    fn none() -> Self {
        Self {
            suggestion: String::new(),
            confidence: 0.0,
            description: "No suggestion".into(),
        }
    }
}

pub trait Engine: Send + Sync + 'static {
    /// `cursor` is a UTF-16 offset into `code`, already clamped.
    fn suggest(&self, code: &str, cursor: usize, language: &str) -> Suggestion;
}

/// A rule: when the current line, up to the cursor, ends with `trigger`,
/// propose `completion`.
pub(crate) struct Rule {
    pub trigger: &'static str,
    pub completion: &'static str,
    pub confidence: f64,
    pub description: &'static str,
}

/// The prototype's rule-based engine for Python and JavaScript (and
/// TypeScript, which shares JavaScript's rules).
pub struct RuleEngine;

impl Engine for RuleEngine {
    fn suggest(&self, code: &str, cursor: usize, language: &str) -> Suggestion {
        let rules: &[Rule] = match language {
            "python" => python::RULES,
            "javascript" | "typescript" => javascript::RULES,
            _ => return Suggestion::none(),
        };
        let byte = crate::doc::utf16_to_byte(code, cursor);
        let before = &code[..byte];
        let line = before.rsplit('\n').next().unwrap_or(before).trim_start();
        rules
            .iter()
            .find(|r| line.ends_with(r.trigger))
            .map(|r| Suggestion {
                suggestion: r.completion.to_owned(),
                confidence: r.confidence,
                description: r.description.to_owned(),
            })
            .unwrap_or_else(Suggestion::none)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_end(code: &str, language: &str) -> Suggestion {
        RuleEngine.suggest(code, crate::doc::utf16_len(code), language)
    }

    #[test]
    fn python_patterns() {
        let s = at_end("x = 1\ndef ", "python");
        assert_eq!(s.description, "Function definition");
        assert!(s.suggestion.starts_with("function_name("));
        assert!((0.0..=1.0).contains(&s.confidence));
        assert_eq!(at_end("    for ", "python").description, "For loop");
        assert_eq!(at_end("import ", "python").description, "Import a module");
        assert_eq!(at_end("class ", "python").description, "Class definition");
    }

    #[test]
    fn javascript_patterns() {
        assert_eq!(
            at_end("function ", "javascript").description,
            "Function declaration"
        );
        assert_eq!(at_end("const ", "typescript").description, "Constant");
    }

    #[test]
    fn cursor_is_utf16_and_mid_text() {
        // The cursor sits after "🙂 def " (emoji = 2 UTF-16 units).
        let code = "🙂 def \nrest";
        let s = RuleEngine.suggest(code, 7, "python");
        assert_eq!(s.description, "Function definition");
        assert_eq!(RuleEngine.suggest(code, 2, "python"), Suggestion::none());
        assert_eq!(at_end("def ", "cobol"), Suggestion::none());
    }
}
