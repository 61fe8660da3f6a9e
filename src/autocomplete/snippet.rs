//! Turns a snippet body into the text to insert: the line's indentation on
//! every new line, the document's indentation unit for each `\t`, and the
//! placeholders filled from what the document defines near the cursor.

use super::Kind;
use super::context::Context;
use super::symbols::Symbols;

/// The values placeholders take at one cursor.
pub(crate) struct Fill {
    items: String,
    item: String,
    var: String,
    ty: String,
}

impl Fill {
    pub fn new(sym: &Symbols, ctx: &Context<'_>, is_keyword: impl Fn(&str) -> bool) -> Self {
        let line_start = ctx.at - ctx.line.len();
        let before = sym
            .defs
            .iter()
            .rev()
            .filter(|d| (d.at as usize) < line_start);
        let variables = before.filter(|d| d.kind == Kind::Variable);
        let mut var = None;
        let mut collection = None;
        for d in variables.take(64) {
            var.get_or_insert_with(|| sym.name(d).to_owned());
            if let Some(one) = singular(sym.name(d)).filter(|s| !is_keyword(s)) {
                collection = Some((sym.name(d).to_owned(), one));
                break;
            }
        }
        let (items, item) = collection.unwrap_or_else(|| ("items".into(), "item".into()));
        let ty = sym
            .enclosing_type(ctx.at as u32)
            .map(str::to_owned)
            .or_else(|| {
                let types = [Kind::Class, Kind::Struct, Kind::Enum, Kind::Type];
                let last = sym
                    .defs
                    .iter()
                    .rev()
                    .find(|d| types.contains(&d.kind) && (d.at as usize) < ctx.at);
                last.map(|d| sym.name(d).to_owned())
            })
            .unwrap_or_else(|| "Name".into());
        Self {
            items,
            item,
            var: var.unwrap_or_else(|| "value".into()),
            ty,
        }
    }

    pub fn ty(&self) -> &str {
        &self.ty
    }
}

/// `users` → `user`, `entries` → `entry`, `boxes` → `box`; `None` for a
/// word that does not look plural.
fn singular(word: &str) -> Option<String> {
    if word.len() < 3
        || !word.is_ascii()
        || word.ends_with("ss")
        || word.ends_with("us")
        || word.ends_with("is")
    {
        return None;
    }
    let one = if let Some(stem) = word.strip_suffix("ies") {
        format!("{stem}y")
    } else if ["ches", "shes", "xes", "sses"]
        .iter()
        .any(|s| word.ends_with(s))
    {
        word[..word.len() - 2].to_owned()
    } else {
        word.strip_suffix('s')?.to_owned()
    };
    (one.len() > 1 && one.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(one)
}

/// The body as text to insert on a line indented by `indent`.
pub(crate) fn render(body: &str, indent: &str, unit: &str, fill: &Fill) -> String {
    let body = body
        .replace("$ITEMS", &fill.items)
        .replace("$ITEM", &fill.item)
        .replace("$VAR", &fill.var)
        .replace("$TYPE", &fill.ty);
    let mut out = String::with_capacity(body.len() + 32);
    for (n, line) in body.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
            if line.is_empty() {
                continue;
            }
            out.push_str(indent);
        }
        let tabs = line.len() - line.trim_start_matches('\t').len();
        for _ in 0..tabs {
            out.push_str(unit);
        }
        out.push_str(&line[tabs..]);
    }
    out
}

/// The first line of an inserted text, for a list's label.
pub(crate) fn first_line(text: &str) -> &str {
    text.split('\n').next().unwrap_or(text).trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_become_singular() {
        assert_eq!(singular("users").as_deref(), Some("user"));
        assert_eq!(singular("entries").as_deref(), Some("entry"));
        assert_eq!(singular("boxes").as_deref(), Some("box"));
        assert_eq!(singular("class"), None);
        assert_eq!(singular("status"), None);
        assert_eq!(singular("xs"), None);
    }

    #[test]
    fn bodies_take_the_line_indent_and_the_document_unit() {
        let fill = Fill {
            items: "rows".into(),
            item: "row".into(),
            var: "v".into(),
            ty: "T".into(),
        };
        let text = render("for $ITEM in $ITEMS {\n\t$VAR\n\n}", "  ", "\t", &fill);
        assert_eq!(text, "for row in rows {\n  \tv\n\n  }");
    }
}
