//! What the cursor is doing, read from the text around it: the partial
//! word, the line so far, a member access (`self.` and its receiver), or a
//! new name being declared (`def `), so nothing in the document completes it.

use super::lang::Spec;
use super::lex::is_ident_char;

pub(crate) struct Context<'a> {
    /// Byte offset of the cursor.
    pub at: usize,
    /// The line before the cursor.
    pub line: &'a str,
    /// The line's leading whitespace.
    pub indent: &'a str,
    /// The line before the cursor without its indentation or a leading `}`.
    pub statement: &'a str,
    /// The partial identifier just before the cursor.
    pub word: &'a str,
    /// The line after the cursor.
    pub rest: &'a str,
    /// An identifier character follows the cursor.
    pub mid_word: bool,
    /// `receiver` and operator of a member access ending at `word`.
    pub member: Option<(&'a str, &'static str)>,
    /// The word is a new name after a declaring keyword.
    pub declaring: bool,
}

impl<'a> Context<'a> {
    pub fn new(code: &'a str, at: usize, spec: &'static Spec) -> Self {
        let lex = spec.lexical;
        let line_start = code[..at].rfind('\n').map_or(0, |n| n + 1);
        let line = &code[line_start..at];
        let line_end = code[at..].find('\n').map_or(code.len(), |n| at + n);
        let rest = &code[at..line_end];
        let indent = &line[..line.len() - line.trim_start().len()];
        let statement = line.trim_start();
        let statement = statement
            .strip_prefix('}')
            .map_or(statement, str::trim_start);
        let word_len: usize = line
            .chars()
            .rev()
            .take_while(|&c| is_ident_char(c, lex))
            .map(char::len_utf8)
            .sum();
        let word = &line[line.len() - word_len..];
        let before = &line[..line.len() - word_len];
        let mid_word = rest.chars().next().is_some_and(|c| is_ident_char(c, lex));
        let member = member_access(before, spec);
        let previous = before.trim_end();
        let declaring = before.len() > previous.len() && {
            let kw_len: usize = previous
                .chars()
                .rev()
                .take_while(|&c| is_ident_char(c, lex))
                .map(char::len_utf8)
                .sum();
            let kw = &previous[previous.len() - kw_len..];
            spec.chain().any(|s| s.declarers.contains(&kw))
        };
        Self {
            at,
            line,
            indent,
            statement,
            word,
            rest,
            mid_word,
            member,
            declaring,
        }
    }
}

/// `before` ends with a member operator after a receiver: the receiver as
/// written (`self.items`, `std::collections`), and the operator.
fn member_access<'a>(before: &'a str, spec: &'static Spec) -> Option<(&'a str, &'static str)> {
    let lex = spec.lexical;
    let mut ops: Vec<&'static str> = spec.member_ops.to_vec();
    ops.sort_by_key(|op| std::cmp::Reverse(op.len()));
    let op = *ops.iter().find(|op| before.ends_with(**op))?;
    let head = &before[..before.len() - op.len()];
    let mut start = head.len();
    loop {
        let word: usize = head[..start]
            .chars()
            .rev()
            .take_while(|&c| is_ident_char(c, lex))
            .map(char::len_utf8)
            .sum();
        if word == 0 {
            break;
        }
        start -= word;
        match ops.iter().find(|o| head[..start].ends_with(**o)) {
            Some(o) if head[..start].len() > o.len() => start -= o.len(),
            _ => break,
        }
    }
    let receiver = head[start..].trim_start_matches(|c: char| ops.iter().any(|o| o.starts_with(c)));
    let first = receiver.chars().next()?;
    (!first.is_ascii_digit()).then_some((receiver, op))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autocomplete::lang;

    /// The context at `|` in `marked`.
    fn ctx(marked: &str, language: &str) -> Context<'static> {
        let at = marked.find('|').unwrap();
        let code: &'static str = Box::leak(marked.replacen('|', "", 1).into_boxed_str());
        Context::new(code, at, lang::spec(language).unwrap())
    }

    #[test]
    fn words_members_and_declarations() {
        let c = ctx("x = 1\n    self.items.ap|", "python");
        assert_eq!(c.word, "ap");
        assert_eq!(c.member, Some(("self.items", ".")));
        assert_eq!(c.indent, "    ");
        let c = ctx("use std::collections::Ha|", "rust");
        assert_eq!(c.member, Some(("std::collections", "::")));
        let c = ctx("  p->|", "c");
        assert_eq!(c.member, Some(("p", "->")));
        assert!(ctx("x = 3.|", "python").member.is_none());
        assert!(ctx("def fo|", "python").declaring);
        assert!(!ctx("return fo|", "python").declaring);
        let c = ctx("  } else |", "javascript");
        assert_eq!(c.statement, "else ");
        assert!(ctx("pri|nt", "python").mid_word);
    }
}
