//! Python: scopes from indentation; `class`, `def`, assignments (with the
//! type an initialiser or annotation shows), `self.x = ...` as members of
//! the class, imports, loop and `with` targets.

use super::brace::list_items;
use super::{Toks, type_name};
use crate::autocomplete::Kind;
use crate::autocomplete::lex::Tok;
use crate::autocomplete::symbols::{Builder, ScopeKind};

#[rustfmt::skip]
fn is_keyword(word: &str) -> bool {
    matches!(word,
        "False" | "None" | "True" | "and" | "as" | "assert" | "async" | "await" | "break" | "class" |
        "continue" | "def" | "del" | "elif" | "else" | "except" | "finally" | "for" | "from" |
        "global" | "if" | "import" | "in" | "is" | "lambda" | "nonlocal" | "not" | "or" | "pass" |
        "raise" | "return" | "try" | "while" | "with" | "yield" | "match" | "case")
}

pub(super) fn scan(t: &Toks<'_>, b: &mut Builder) {
    let mut indents: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    for i in 0..t.len() {
        let at_line = depth == 0 && t.starts_line(i);
        match t.text(i) {
            "(" | "[" | "{" if t.kind(i) == Some(Tok::Punct) => depth += 1,
            ")" | "]" | "}" if t.kind(i) == Some(Tok::Punct) => depth = depth.saturating_sub(1),
            _ => {}
        }
        if !at_line {
            continue;
        }
        let line_start = t.src[..t.start(i)].rfind('\n').map_or(0, |n| n + 1);
        let indent = t.start(i) - line_start;
        while indents.last().is_some_and(|&open| open >= indent) {
            indents.pop();
            b.close(line_start.saturating_sub(1));
        }
        if statement(t, i, b) {
            indents.push(indent);
        }
    }
}

/// One logical line starting at token `i`; true when it opened a scope.
fn statement(t: &Toks<'_>, mut i: usize, b: &mut Builder) -> bool {
    if t.is(i, "async") {
        i += 1;
    }
    match t.text(i) {
        "class" => class(t, i, b),
        "def" => function(t, i, b),
        "import" => {
            import(t, i + 1, b);
            false
        }
        "from" => {
            from_import(t, i, b);
            false
        }
        "for" => {
            targets(t, i + 1, b, "in");
            false
        }
        "with" | "except" => {
            let mut j = i + 1;
            while j < t.len() && !t.is(j, ":") && !t.starts_line(j) {
                if t.is(j, "as")
                    && let Some(name) = t.ident(j + 1)
                {
                    b.def(name, Kind::Variable, t.start(j + 1));
                    if t.is(i + 1, "open") {
                        b.var_type(name, "file");
                    }
                }
                j += 1;
            }
            false
        }
        _ => {
            assignment(t, i, b);
            false
        }
    }
}

fn class(t: &Toks<'_>, i: usize, b: &mut Builder) -> bool {
    let Some(name) = t.ident(i + 1) else {
        return false;
    };
    b.def(name, Kind::Class, t.start(i + 1));
    if t.is(i + 2, "(") {
        let (bases, _) = list_items(t, i + 2, |s, e| {
            let named = (s..e).any(|k| t.is(k, "="));
            (!named)
                .then(|| (s..e).rev().find(|&k| t.ident(k).is_some()))
                .flatten()
        });
        for base in bases {
            b.base(name, t.text(base));
        }
    }
    b.open(ScopeKind::Type, Some(name), None, t.start(i));
    true
}

fn function(t: &Toks<'_>, i: usize, b: &mut Builder) -> bool {
    let Some(name) = t.ident(i + 1) else {
        return false;
    };
    let class = b
        .top()
        .filter(|s| s.kind == ScopeKind::Type)
        .and_then(|s| s.owner.clone());
    let mut receiver = None;
    if t.is(i + 2, "(") {
        let (params, _) = list_items(t, i + 2, |s, e| {
            (s..e.min(s + 3)).find(|&k| t.ident(k).is_some())
        });
        for (n, &p) in params.iter().enumerate() {
            let param = t.text(p);
            if n == 0 && class.is_some() {
                receiver = Some(param.to_owned());
                continue;
            }
            b.def(param, Kind::Variable, t.start(p));
            if t.is(p + 1, ":")
                && let Some((ty, _)) = type_name(t, p + 2, false)
            {
                b.var_type(param, &ty);
            }
        }
    }
    match &class {
        Some(class) => b.member(class, name, Kind::Method, receiver.is_none(), None),
        None => b.def(name, Kind::Function, t.start(i + 1)),
    }
    let owner = class.or_else(|| b.owner().map(Into::into));
    b.open(
        ScopeKind::Function,
        owner.as_deref(),
        receiver.as_deref(),
        t.start(i),
    );
    true
}

fn import(t: &Toks<'_>, mut i: usize, b: &mut Builder) {
    while let Some(first) = t.ident(i) {
        let start = i;
        while t.is(i + 1, ".") && t.ident(i + 2).is_some() {
            i += 2;
        }
        b.import(&t.src[t.start(start)..t.end(i)]);
        if t.is(i + 1, "as") && t.ident(i + 2).is_some() {
            b.def(t.text(i + 2), Kind::Module, t.start(i + 2));
            i += 2;
        } else {
            b.def(first, Kind::Module, t.start(start));
        }
        if !t.is(i + 1, ",") || t.starts_line(i + 1) {
            break;
        }
        i += 2;
    }
}

fn from_import(t: &Toks<'_>, i: usize, b: &mut Builder) {
    let mut j = i + 1;
    while j < t.len() && !t.is(j, "import") && !t.starts_line(j) {
        j += 1;
    }
    if !t.is(j, "import") {
        return;
    }
    b.import(&t.src[t.start(i + 1)..t.end(j - 1).max(t.start(i + 1))]);
    let paren = t.is(j + 1, "(");
    let mut k = j + 1 + usize::from(paren);
    while let Some(name) = t.ident(k) {
        let (name, at) = if t.is(k + 1, "as") && t.ident(k + 2).is_some() {
            k += 2;
            (t.text(k), t.start(k))
        } else {
            (name, t.start(k))
        };
        let upper = name.chars().next().is_some_and(char::is_uppercase);
        b.def(name, if upper { Kind::Class } else { Kind::Function }, at);
        if !t.is(k + 1, ",") || (!paren && t.starts_line(k + 1)) {
            break;
        }
        k += 2;
    }
}

/// `a, b in` / `a, b =`: each name is a variable.
fn targets(t: &Toks<'_>, mut i: usize, b: &mut Builder, until: &str) {
    while let Some(name) = t.ident(i) {
        if is_keyword(name) {
            return;
        }
        b.def(name, Kind::Variable, t.start(i));
        if t.is(i + 1, until) || !t.is(i + 1, ",") {
            return;
        }
        i += 2;
    }
}

fn assignment(t: &Toks<'_>, i: usize, b: &mut Builder) {
    let Some(head) = t.ident(i) else { return };
    if is_keyword(head) {
        return;
    }
    let class_body = b
        .top()
        .filter(|s| s.kind == ScopeKind::Type)
        .and_then(|s| s.owner.clone());
    // self.name = value / self.name: T = value, in a method of a class.
    let same_line = !t.starts_line(i + 2) && !t.starts_line(i + 3);
    if same_line
        && t.is(i + 1, ".")
        && t.ident(i + 2).is_some()
        && (t.is(i + 3, "=") || t.is(i + 3, ":"))
    {
        let scope = b.top().filter(|s| s.receiver.as_deref() == Some(head));
        if let Some(owner) = scope.and_then(|s| s.owner.clone()) {
            let field = t.text(i + 2);
            let ty = if t.is(i + 3, ":") {
                type_name(t, i + 4, false).map(|(ty, _)| ty)
            } else {
                infer(t, i + 4, b)
            };
            b.member(&owner, field, Kind::Field, false, ty.as_deref());
        }
        return;
    }
    let (ty, value) = if t.is(i + 1, ":") {
        let annotated = type_name(t, i + 2, false);
        let after = annotated.as_ref().map_or(i + 2, |(_, j)| *j);
        let value = (t.is(after, "=")).then_some(after + 1);
        (annotated.map(|(ty, _)| ty), value)
    } else if t.is(i + 1, "=") {
        (infer(t, i + 2, b), Some(i + 2))
    } else if t.is(i + 1, ",") {
        targets(t, i, b, "=");
        return;
    } else {
        return;
    };
    let constant = head.len() > 1
        && head
            .chars()
            .all(|c| c.is_uppercase() || c == '_' || c.is_ascii_digit());
    let function = value.is_some_and(|v| t.is(v, "lambda"));
    match &class_body {
        Some(class) => b.member(
            class,
            head,
            if function { Kind::Method } else { Kind::Field },
            false,
            ty.as_deref(),
        ),
        None => {
            let kind = if function {
                Kind::Function
            } else if constant {
                Kind::Constant
            } else {
                Kind::Variable
            };
            b.def(head, kind, t.start(i));
            if let Some(ty) = &ty {
                b.var_type(head, ty);
            }
        }
    }
}

/// The type an initialiser shows: literals, constructors, known variables.
fn infer(t: &Toks<'_>, i: usize, b: &Builder) -> Option<String> {
    let ty = match (t.kind(i)?, t.text(i)) {
        (Tok::Str, _) => "str".to_owned(),
        (Tok::Punct, "[") => "list".to_owned(),
        (Tok::Punct, "{") => "dict".to_owned(),
        (Tok::Punct, "(") => "tuple".to_owned(),
        (Tok::Ident, name) => {
            let mut last = (name, i);
            while t.is(last.1 + 1, ".") && t.ident(last.1 + 2).is_some() {
                last = (t.text(last.1 + 2), last.1 + 2);
            }
            let call = t.is(last.1 + 1, "(");
            match last.0 {
                "list" | "dict" | "set" | "str" | "tuple" if call => last.0.to_owned(),
                "sorted" if call => "list".to_owned(),
                "open" if call => "file".to_owned(),
                other if call && other.chars().next().is_some_and(char::is_uppercase) => {
                    other.to_owned()
                }
                other if !call && last.1 == i => b.symbols.var_types.get(other)?.to_string(),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(ty)
}
