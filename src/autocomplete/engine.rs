//! The engine: the cached symbol table of the text, the context at the
//! cursor, the candidates that fit it, ranked, deduplicated and cut to the
//! limit, with byte offsets turned back into UTF-16 units.

use std::collections::HashSet;

use super::candidates::{self, Candidate};
use super::context::Context;
use super::snippet::Fill;
use super::{Completion, Completions, Engine, Query, cache::Cache, lang, scan, utf16};

pub struct ContextEngine {
    cache: Cache,
}

impl ContextEngine {
    /// `cache_bytes` bounds the symbol tables kept between requests.
    pub fn new(cache_bytes: usize) -> Self {
        Self {
            cache: Cache::new(cache_bytes),
        }
    }
}

impl Engine for ContextEngine {
    fn complete(&self, query: Query<'_>) -> Completions {
        let Some(spec) = lang::spec(query.language) else {
            return Completions::default();
        };
        let code = query.code;
        let at = utf16::to_byte(code, query.cursor);
        let sym = self
            .cache
            .get_or_scan(spec.id, code, || scan::scan(code, spec));
        let ctx = Context::new(code, at, spec);
        let prefix_len = ctx.word.encode_utf16().count();
        if sym.is_quiet(at as u32) || ctx.mid_word || query.limit == 0 {
            return Completions {
                items: Vec::new(),
                prefix_len,
            };
        }
        let mut found = Vec::new();
        if let Some((receiver, op)) = ctx.member {
            super::members::members(&ctx, spec, &sym, receiver, op, &mut found);
        } else {
            let fill = Fill::new(&sym, &ctx, |w| spec.is_keyword(w));
            candidates::snippets(&ctx, spec, &sym, &fill, &mut found);
            let import_line = candidates::imports(&ctx, spec, &sym, &mut found);
            let triggered = found.iter().any(|c| c.score >= 0.5);
            let nothing_typed_after_trigger = ctx.word.is_empty() && triggered;
            if !(import_line || ctx.declaring || nothing_typed_after_trigger) {
                candidates::names(&ctx, spec, &sym, &mut found);
            }
        }
        Completions {
            items: rank(found, query.limit, code, at),
            prefix_len,
        }
    }
}

fn rank(mut found: Vec<Candidate>, limit: usize, code: &str, at: usize) -> Vec<Completion> {
    found.retain(|c| !c.text.is_empty() || c.replace_before > 0);
    found.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.label.len().cmp(&b.label.len()))
            .then_with(|| a.label.cmp(&b.label))
    });
    let mut seen = HashSet::new();
    found
        .into_iter()
        .filter(|c| seen.insert((c.replace_before, c.text.clone())))
        .take(limit)
        .map(|c| {
            let before = &code[at.saturating_sub(c.replace_before)..at];
            let after = code.get(at..at + c.replace_after).unwrap_or("");
            Completion {
                confidence: (c.score.clamp(0.01, 0.99) * 100.0).round() / 100.0,
                text: c.text,
                label: c.label,
                kind: c.kind,
                description: c.description,
                replace_before: before.encode_utf16().count(),
                replace_after: after.encode_utf16().count(),
            }
        })
        .collect()
}
