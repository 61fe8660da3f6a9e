//! Text diffs with a cost budget, for merging JSON clients' full texts.
//!
//! Myers' diff (what `dissimilar` runs) costs O((N+M)·D) and has no
//! deadline: two unlike 60 kB texts stall the room for seconds. Here the
//! common prefix and suffix are cut first (memcmp, linear), and the
//! changed middle is diffed character by character only while
//! (N+M)² stays within `budget`; past it, line by line: lines unique to
//! both texts anchor the alignment (patience diff), and the gaps between
//! anchors are diffed by lines and then characters while the budget lasts;
//! what it cannot pay for is replaced as a whole. The result is always a correct edit script from `a` to
//! `b`; only its granularity degrades.

use std::collections::HashMap;

use dissimilar::Chunk;

/// A diff of `a` into `b` costing at most about `budget` steps.
pub fn text<'a>(a: &'a str, b: &'a str, budget: u64) -> Vec<Chunk<'a>> {
    let (prefix, a_mid, b_mid, suffix) = trim(a, b);
    let mut out = Vec::new();
    push(&mut out, Chunk::Equal(prefix));
    if affordable(a_mid.len(), b_mid.len(), budget) {
        out.extend(dissimilar::diff(a_mid, b_mid));
    } else {
        by_lines(a_mid, b_mid, budget, &mut out);
    }
    push(&mut out, Chunk::Equal(suffix));
    out
}

/// The same budget for a diff of two symbol strings (no line fallback).
pub fn symbols<'a>(a: &'a str, b: &'a str, budget: u64) -> Vec<Chunk<'a>> {
    let (prefix, a_mid, b_mid, suffix) = trim(a, b);
    let mut out = Vec::new();
    push(&mut out, Chunk::Equal(prefix));
    if affordable(a_mid.chars().count(), b_mid.chars().count(), budget) {
        out.extend(dissimilar::diff(a_mid, b_mid));
    } else {
        replace(a_mid, b_mid, &mut out);
    }
    push(&mut out, Chunk::Equal(suffix));
    out
}

fn affordable(n: usize, m: usize, budget: u64) -> bool {
    n == 0 || m == 0 || cost(n, m) <= budget
}

fn push<'a>(out: &mut Vec<Chunk<'a>>, chunk: Chunk<'a>) {
    let empty = match chunk {
        Chunk::Equal(s) | Chunk::Delete(s) | Chunk::Insert(s) => s.is_empty(),
    };
    if !empty {
        out.push(chunk);
    }
}

fn replace<'a>(a: &'a str, b: &'a str, out: &mut Vec<Chunk<'a>>) {
    push(out, Chunk::Delete(a));
    push(out, Chunk::Insert(b));
}

/// Splits into common prefix, the two middles, and common suffix, cut at
/// line boundaries: the middles start and end on whole lines, so the diff
/// inside aligns an insertion of whole lines on line starts (as a diff of
/// the whole texts would), never splitting a typed line around a shared
/// first character.
fn trim<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str, &'a str, &'a str) {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let max = x.len().min(y.len());
    let p = common_len(max, |n| x[..n] == y[..n]);
    let p = x[..p]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    let room = max - p;
    let s = common_len(room, |n| x[x.len() - n..] == y[y.len() - n..]);
    // Both middles non-empty: start the suffix on a line of `a` (past its
    // first newline unless it already does). Cutting after an ASCII
    // newline also lands on a character boundary in both texts.
    let start = x.len() - s;
    let s = if s == room || x[start - 1] == b'\n' {
        s
    } else {
        x[start..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(0, |i| s - i - 1)
    };
    (
        &a[..p],
        &a[p..a.len() - s],
        &b[p..b.len() - s],
        &a[a.len() - s..],
    )
}

/// The largest `n <= max` with `same(n)`, for a monotone `same`: binary
/// search over slice comparisons (memcmp), not a byte loop.
pub(crate) fn common_len(max: usize, same: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, max);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if same(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

/// Line-level diff of two middles. Lines that occur once in each text
/// anchor the alignment (patience diff: the longest run of such lines in
/// the same order, O(n log n)); the gaps between anchors are diffed by
/// lines, then characters, while the budget lasts, and replaced after.
fn by_lines<'a>(a: &'a str, b: &'a str, budget: u64, out: &mut Vec<Chunk<'a>>) {
    let a_lines: Vec<&str> = a.split_inclusive('\n').collect();
    let b_lines: Vec<&str> = b.split_inclusive('\n').collect();
    let mut left = budget;
    let (mut ai, mut bi) = (0usize, 0usize); // line indexes
    let (mut ao, mut bo) = (0usize, 0usize); // byte offsets
    let anchors = unique_anchors(&a_lines, &b_lines);
    for &(ia, ib) in anchors
        .iter()
        .chain(std::iter::once(&(a_lines.len(), b_lines.len())))
    {
        let a_len: usize = a_lines[ai..ia].iter().map(|l| l.len()).sum();
        let b_len: usize = b_lines[bi..ib].iter().map(|l| l.len()).sum();
        gap(
            (&a[ao..ao + a_len], &a_lines[ai..ia]),
            (&b[bo..bo + b_len], &b_lines[bi..ib]),
            &mut left,
            out,
        );
        ao += a_len;
        bo += b_len;
        if ia < a_lines.len() {
            push(out, Chunk::Equal(a_lines[ia]));
            ao += a_lines[ia].len();
            bo += b_lines[ib].len();
        }
        (ai, bi) = (ia + 1, ib + 1);
    }
}

/// Pairs (line in `a`, line in `b`) of lines unique in both, forming the
/// longest sequence increasing in both.
fn unique_anchors(a: &[&str], b: &[&str]) -> Vec<(usize, usize)> {
    let mut seen: HashMap<&str, (u32, u32, usize, usize)> = HashMap::new();
    for (i, line) in a.iter().enumerate() {
        let e = seen.entry(line).or_insert((0, 0, i, 0));
        e.0 += 1;
    }
    for (j, line) in b.iter().enumerate() {
        if let Some(e) = seen.get_mut(line) {
            e.1 += 1;
            e.3 = j;
        }
    }
    let mut pairs: Vec<(usize, usize)> = seen
        .values()
        .filter(|e| e.0 == 1 && e.1 == 1)
        .map(|e| (e.2, e.3))
        .collect();
    pairs.sort_unstable();
    // Longest increasing subsequence on the `b` index (patience sorting).
    let mut tails: Vec<usize> = Vec::new(); // index into pairs
    let mut prev: Vec<Option<usize>> = vec![None; pairs.len()];
    for (k, &(_, j)) in pairs.iter().enumerate() {
        let pos = tails.partition_point(|&t| pairs[t].1 < j);
        prev[k] = pos.checked_sub(1).map(|p| tails[p]);
        if pos == tails.len() {
            tails.push(k);
        } else {
            tails[pos] = k;
        }
    }
    let mut out = Vec::with_capacity(tails.len());
    let mut at = tails.last().copied();
    while let Some(k) = at {
        out.push(pairs[k]);
        at = prev[k];
    }
    out.reverse();
    out
}

/// One gap between anchors: a line diff, its hunks refined by characters,
/// each step paid from `left`; what the budget cannot pay is replaced.
fn gap<'a>(
    (a, a_lines): (&'a str, &[&'a str]),
    (b, b_lines): (&'a str, &[&'a str]),
    left: &mut u64,
    out: &mut Vec<Chunk<'a>>,
) {
    if a.is_empty() || b.is_empty() {
        replace(a, b, out);
        return;
    }
    let lines = cost(a_lines.len(), b_lines.len());
    if lines > *left {
        replace(a, b, out);
        return;
    }
    *left -= lines;
    let mut table = HashMap::new();
    let a_sym = encode(a_lines, &mut table);
    let b_sym = encode(b_lines, &mut table);
    let (mut ai, mut bi) = (0usize, 0usize); // byte offsets
    let (mut al, mut bl) = (0usize, 0usize); // line indexes
    let mut hunk: Option<(usize, usize, usize, usize)> = None; // a range, b range
    let mut flush = |hunk: &mut Option<(usize, usize, usize, usize)>, out: &mut Vec<Chunk<'a>>| {
        if let Some((a0, a1, b0, b1)) = hunk.take() {
            let (x, y) = (&a[a0..a1], &b[b0..b1]);
            let chars = cost(x.len(), y.len());
            if x.is_empty() || y.is_empty() || chars > *left {
                replace(x, y, out);
            } else {
                *left -= chars;
                out.extend(dissimilar::diff(x, y));
            }
        }
    };
    let width = |lines: &[&str], from: usize, n: usize| -> usize {
        lines[from..from + n].iter().map(|l| l.len()).sum()
    };
    for chunk in dissimilar::diff(&a_sym, &b_sym) {
        match chunk {
            Chunk::Equal(s) => {
                flush(&mut hunk, out);
                let n = s.chars().count();
                let len = width(a_lines, al, n);
                push(out, Chunk::Equal(&a[ai..ai + len]));
                ai += len;
                bi += width(b_lines, bl, n);
                al += n;
                bl += n;
            }
            Chunk::Delete(s) => {
                let n = s.chars().count();
                let len = width(a_lines, al, n);
                let h = hunk.get_or_insert((ai, ai, bi, bi));
                h.1 += len;
                ai += len;
                al += n;
            }
            Chunk::Insert(s) => {
                let n = s.chars().count();
                let len = width(b_lines, bl, n);
                let h = hunk.get_or_insert((ai, ai, bi, bi));
                h.3 += len;
                bi += len;
                bl += n;
            }
        }
    }
    flush(&mut hunk, out);
}

fn cost(n: usize, m: usize) -> u64 {
    let size = (n + m) as u64;
    size.saturating_mul(size)
}

/// One symbol per distinct line, from a private-use plane; past 65,533
/// distinct lines they share one symbol (alignment gets coarser, never
/// wrong: positions come from the real line lengths).
pub(crate) fn encode<'a>(lines: &[&'a str], table: &mut HashMap<&'a str, char>) -> String {
    lines
        .iter()
        .map(|line| {
            let next = 0xF0000 + (table.len() as u32).min(0xFFFD);
            *table
                .entry(line)
                .or_insert_with(|| char::from_u32(next).unwrap_or('\u{FFFD}'))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rebuilds `b` from `a` and the script; checks every Equal/Delete
    /// matches `a`.
    fn apply(a: &str, chunks: &[Chunk]) -> String {
        let mut pos = 0;
        let mut out = String::new();
        for chunk in chunks {
            match chunk {
                Chunk::Equal(s) => {
                    assert_eq!(&a[pos..pos + s.len()], *s);
                    out.push_str(s);
                    pos += s.len();
                }
                Chunk::Delete(s) => {
                    assert_eq!(&a[pos..pos + s.len()], *s);
                    pos += s.len();
                }
                Chunk::Insert(s) => out.push_str(s),
            }
        }
        assert_eq!(pos, a.len());
        out
    }

    const BUDGET: u64 = 4_000_000;

    #[test]
    fn small_edits_are_exact_character_diffs() {
        let a = "héllo 🙂 wörld\nsecond line\n";
        let b = "héllo 🙂! wörld\nsecond lane\n";
        let chunks = text(a, b, BUDGET);
        assert_eq!(apply(a, &chunks), b);
        let inserted: usize = chunks
            .iter()
            .map(|c| match c {
                Chunk::Insert(s) => s.len(),
                _ => 0,
            })
            .sum();
        assert!(inserted <= 2, "{chunks:?}");
    }

    #[test]
    fn unlike_texts_past_the_budget_are_replaced_fast() {
        let a = "a".repeat(60_000);
        let b = "b".repeat(60_000);
        let chunks = text(&a, &b, BUDGET);
        assert_eq!(apply(&a, &chunks), b);
        assert_eq!(chunks.len(), 2, "one deletion, one insertion");
    }

    #[test]
    fn big_texts_with_a_few_changed_lines_keep_the_rest() {
        let a: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
        let mut b = a.replace("line 500\n", "line 500 changed\n");
        b = b.replace("line 15000\n", "");
        let chunks = text(&a, &b, BUDGET);
        assert_eq!(apply(&a, &chunks), b);
        let deleted: usize = chunks
            .iter()
            .map(|c| match c {
                Chunk::Delete(s) => s.len(),
                _ => 0,
            })
            .sum();
        assert!(deleted < 100_000, "most of the text survives: {deleted}");
    }

    #[test]
    fn a_one_mebibyte_worst_case_pair_is_bounded() {
        let a: String = (0..100_000).map(|i| format!("{i:09}\n")).collect();
        let b: String = (0..100_000)
            .map(|i| format!("{:09}\n", i * 7 + 3))
            .collect();
        let chunks = text(&a, &b, BUDGET);
        assert_eq!(apply(&a, &chunks), b);
        let s = "x\n".repeat(500_000);
        let t = "y\n".repeat(500_000);
        assert_eq!(apply(&s, &text(&s, &t, BUDGET)), t);
    }

    #[test]
    fn symbols_fall_back_to_replace() {
        let a = "\u{F0000}".repeat(5000);
        let b = "\u{F0001}".repeat(5000);
        let chunks = symbols(&a, &b, 1000);
        assert_eq!(apply(&a, &chunks), b);
        assert_eq!(chunks.len(), 2);
    }
}
