//! Server time of `POST /api/autocomplete` on 2,000-line documents, per
//! language: decoding the JSON body, the engine, encoding the answer —
//! what the handler does, without the network. Run by `scripts/bench.sh`
//! (through `scripts/bench-autocomplete.sh`):
//!
//!     cargo run --release --example autocomplete_bench -- [--markdown PATH] [--samples N]
//!
//! Two scenarios per language: *typing*, where every request carries a new
//! version of the text (the symbol table is rebuilt each time: the worst
//! case), and *burst*, repeated requests on one version (the list, then the
//! inline suggestion), which the cache answers. Each request is timed twice:
//! wall-clock (the server time a client waits for) and the thread's CPU time
//! (the same without the time the scheduler gave other processes, which on a
//! shared 2-core machine decides the tail).

use std::time::Instant;

use pairprog::autocomplete::wire::{Request, Response, Source, clamp_cursor};
use pairprog::autocomplete::{ContextEngine, Engine, Query, lang};

const LINES: usize = 2000;
const TARGET_MS: f64 = 2.0;

/// One request's times, in milliseconds.
#[derive(Clone, Copy)]
struct Sample {
    wall: f64,
    cpu: f64,
}

/// One language's samples.
struct Row {
    language: &'static str,
    lines: usize,
    bytes: usize,
    typing: Vec<Sample>,
    burst: Vec<Sample>,
}

fn main() {
    let mut markdown = None;
    let mut samples = 400usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--markdown" => markdown = args.next(),
            "--samples" => samples = args.next().and_then(|n| n.parse().ok()).unwrap_or(samples),
            other => {
                eprintln!("unknown argument {other}; use --markdown PATH, --samples N");
                std::process::exit(2);
            }
        }
    }
    let engine = ContextEngine::new(16 << 20);
    let load_before = load_average();
    let mut rows = Vec::new();
    for language in lang::languages() {
        let doc = document(language);
        let (typing, burst) = measure(&engine, language, &doc, samples);
        let row = Row {
            language,
            lines: doc.lines().count(),
            bytes: doc.len(),
            typing,
            burst,
        };
        println!(
            "{:<11} {} lines, {:>6} bytes: typing p50 {:.3} p99 {:.3} ms (CPU p99 {:.3}); burst p50 {:.3} p99 {:.3} ms",
            row.language,
            row.lines,
            row.bytes,
            pct(&row.typing, 50.0, wall),
            pct(&row.typing, 99.0, wall),
            pct(&row.typing, 99.0, cpu),
            pct(&row.burst, 50.0, wall),
            pct(&row.burst, 99.0, wall),
        );
        rows.push(row);
    }
    let typing: Vec<Sample> = rows.iter().flat_map(|r| r.typing.iter().copied()).collect();
    let burst: Vec<Sample> = rows.iter().flat_map(|r| r.burst.iter().copied()).collect();
    let p99 = pct(&typing, 99.0, wall);
    println!(
        "all languages: typing p99 {p99:.3} ms (CPU {:.3} ms), burst p99 {:.3} ms; target < {TARGET_MS} ms: {}",
        pct(&typing, 99.0, cpu),
        pct(&burst, 99.0, wall),
        if p99 < TARGET_MS { "met" } else { "missed" }
    );
    if let Some(path) = markdown {
        let load = (load_before, load_average());
        if let Err(e) = std::fs::write(&path, report(&rows, &typing, &burst, samples, load)) {
            eprintln!("cannot write {path}: {e}");
            std::process::exit(1);
        }
    }
}

/// Per language: new versions (typing), then two repeats of each (burst).
fn measure(
    engine: &ContextEngine,
    language: &str,
    doc: &str,
    samples: usize,
) -> (Vec<Sample>, Vec<Sample>) {
    let probes = probes(language);
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(doc.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let (mut typing, mut burst) = (Vec::with_capacity(samples), Vec::with_capacity(samples * 2));
    for n in 0..samples {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // A new line typed after a random line, in that line's indentation.
        let line = line_starts[(seed as usize) % line_starts.len()];
        let indent: String = doc[line..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        let probe = probes[n % probes.len()];
        let insert_at = doc[line..].find('\n').map_or(doc.len(), |i| line + i);
        let code = format!(
            "{}\n{indent}{probe}{}",
            &doc[..insert_at],
            &doc[insert_at..]
        );
        let cursor = code[..insert_at + 1 + indent.len() + probe.len()]
            .encode_utf16()
            .count();
        let body =
            serde_json::json!({"code": code, "cursorPosition": cursor, "language": language})
                .to_string();
        typing.push(serve(engine, body.as_bytes()));
        for _ in 0..2 {
            burst.push(serve(engine, body.as_bytes()));
        }
    }
    (typing, burst)
}

/// What the handler does with a body, timed.
fn serve(engine: &ContextEngine, body: &[u8]) -> Sample {
    let (wall, cpu) = (Instant::now(), thread_cpu_ms());
    let request: Request = serde_json::from_slice(body).expect("the bench's bodies are valid");
    let parsed = request.parse().expect("the bench's requests are valid");
    let (Source::Code(code), Some(language)) = (parsed.source, parsed.language) else {
        unreachable!("the bench sends code and language")
    };
    let cursor = clamp_cursor(&code, parsed.cursor);
    let answer = engine.complete(Query {
        code: &code,
        cursor,
        language: language.as_str(),
        limit: 8,
    });
    let bytes = serde_json::to_vec(&Response::from(answer)).expect("answers serialize");
    std::hint::black_box(bytes);
    Sample {
        wall: wall.elapsed().as_secs_f64() * 1000.0,
        cpu: thread_cpu_ms() - cpu,
    }
}

/// CPU time this thread has used, in milliseconds.
fn thread_cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call's duration.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1e6
}

fn wall(s: &Sample) -> f64 {
    s.wall
}

fn cpu(s: &Sample) -> f64 {
    s.cpu
}

fn pct(samples: &[Sample], p: f64, of: fn(&Sample) -> f64) -> f64 {
    let mut v: Vec<f64> = samples.iter().map(of).collect();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

fn report(
    rows: &[Row],
    typing: &[Sample],
    burst: &[Sample],
    samples: usize,
    load: (String, String),
) -> String {
    let p99 = pct(typing, 99.0, wall);
    let verdict = if p99 < TARGET_MS { "met" } else { "missed" };
    let mut out = String::from("## Autocomplete server time\n\n");
    out += &format!(
        "Produced by `scripts/bench-autocomplete.sh` (part of `make bench`). Server time of \
         `POST /api/autocomplete` for a {LINES}-line document, per language: JSON body decoded, engine, answer \
         encoded (no network), release build, one thread. *Typing*: every request carries a new version of the \
         text (a new line typed somewhere: a member access, a snippet trigger or a partial name), so the symbol \
         table is rebuilt each time — the worst case. *Burst*: two more requests on each version, answered from \
         the per-version cache. {samples} versions per language. *Wall* is what a client waits for; *CPU* is the \
         thread's CPU time for the same request, without the time the scheduler gave other processes. Load \
         average (1 min) before and after: {} / {}.\n\n",
        load.0, load.1
    );
    out += &format!(
        "**Target p99 < {TARGET_MS} ms (wall, typing): {verdict}** — typing p99 {p99:.3} ms wall, {:.3} ms CPU; \
         burst p99 {:.3} ms wall, {:.3} ms CPU.\n\n",
        pct(typing, 99.0, cpu),
        pct(burst, 99.0, wall),
        pct(burst, 99.0, cpu)
    );
    out += "| language | lines | bytes | typing p50 | typing p99 | typing p99 CPU | typing max | burst p50 | burst p99 | burst p99 CPU |\n";
    out += "|---|---|---|---|---|---|---|---|---|---|\n";
    for r in rows {
        let (t, b) = (&r.typing, &r.burst);
        out += &format!(
            "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
            r.language,
            r.lines,
            r.bytes,
            pct(t, 50.0, wall),
            pct(t, 99.0, wall),
            pct(t, 99.0, cpu),
            pct(t, 100.0, wall),
            pct(b, 50.0, wall),
            pct(b, 99.0, wall),
            pct(b, 99.0, cpu)
        );
    }
    out +=
        "\nTimes in milliseconds. Reproduce: `cargo run --release --example autocomplete_bench`.\n";
    out
}

/// The 1-minute load average, as the kernel reports it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "n/a".into())
}

/// What a user types on the new line.
fn probes(language: &str) -> &'static [&'static str] {
    match language {
        "python" => &["self.", "acc", "for ", "os.path.", "def ", "item_"],
        "javascript" | "typescript" => &["this.", "acc", "for ", "console.", "if (", "item"],
        "rust" => &["self.", "acc", "for ", "std::collections::", "let ", "item"],
        "go" => &["s.", "acc", "for ", "fmt.", "if ", "item"],
        "java" => &["this.", "acc", "for ", "System.out.", "if ", "item"],
        _ => &["p->", "acc", "for ", "printf(", "if ", "item"],
    }
}

/// About `LINES` lines of plausible code: the same block with numbered
/// names, so the symbol table grows with the document as in real files.
fn document(language: &str) -> String {
    let block = |n: usize| -> String {
        let b = match language {
            "python" => {
                "class Account$:\n    def __init__(self, owner, balance):\n        self.owner = owner\n        self.balance = balance\n        self.history = []\n\n    def deposit$(self, amount):\n        if amount <= 0:\n            raise ValueError(\"amount must be positive\")\n        self.balance += amount\n        self.history.append(('deposit', amount))\n        return self.balance\n\n\ndef total_balance$(accounts):\n    \"\"\"Sum of balances; def in a docstring is not code.\"\"\"\n    total = 0\n    for account in accounts:\n        total += account.balance\n    return total\n\n"
            }
            "javascript" | "typescript" => {
                "class Counter$ {\n  constructor(start) {\n    this.count = start;\n    this.step = 1;\n  }\n\n  increment$() {\n    this.count += this.step;\n    return this.count;\n  }\n}\n\nfunction sumItems$(items) {\n  let total = 0;\n  for (const item of items) {\n    total += item.value; // a comment with function in it\n  }\n  return total;\n}\n\nconst LIMIT$ = 10;\n\n"
            }
            "rust" => {
                "struct Server$ {\n    name: String,\n    clients: Vec<String>,\n}\n\nimpl Server$ {\n    fn new(name: &str) -> Self {\n        Self { name: name.to_string(), clients: Vec::new() }\n    }\n\n    fn count(&self) -> usize {\n        let total = self.clients.len();\n        total\n    }\n}\n\nfn handle$(server: &Server$, line: &str) -> Option<usize> {\n    let words: Vec<&str> = line.split(' ').collect();\n    Some(words.len() + server.count())\n}\n\n"
            }
            "go" => {
                "type Server$ struct {\n\tName string\n\tPort int\n}\n\nfunc (s *Server$) Start() error {\n\tif s.Port == 0 {\n\t\treturn fmt.Errorf(\"no port\")\n\t}\n\tfmt.Println(\"starting\", s.Name)\n\treturn nil\n}\n\nfunc handle$(items []string) int {\n\ttotal := 0\n\tfor _, item := range items {\n\t\ttotal += len(item)\n\t}\n\treturn total\n}\n\n"
            }
            "java" => {
                "class Library$ {\n    private List<String> books = new ArrayList<>();\n    private int count;\n\n    public void add(String title) {\n        this.books.add(title);\n        this.count++;\n    }\n\n    public int total() {\n        int sum = 0;\n        for (String book : books) {\n            sum += book.length();\n        }\n        return sum;\n    }\n}\n\n"
            }
            _ => {
                "struct point$ {\n    int x;\n    int y;\n};\n\nint distance$(struct point$ *a, struct point$ *b) {\n    int dx = a->x - b->x;\n    int dy = a->y - b->y;\n    /* a comment with struct in it */\n    return dx * dx + dy * dy;\n}\n\nvoid print_point$(struct point$ p) {\n    printf(\"%d %d\\n\", p.x, p.y);\n}\n\n"
            }
        };
        b.replace('$', &n.to_string())
    };
    let mut doc = match language {
        "python" => "import os\nimport json\n\n".to_owned(),
        "go" => "package main\n\nimport \"fmt\"\n\n".to_owned(),
        "java" => "import java.util.*;\n\n".to_owned(),
        "c" | "cpp" => "#include <stdio.h>\n\n".to_owned(),
        _ => String::new(),
    };
    let mut n = 0;
    while doc.lines().count() < LINES {
        doc += &block(n);
        n += 1;
    }
    let cut = doc
        .match_indices('\n')
        .nth(LINES - 1)
        .map_or(doc.len(), |(i, _)| i + 1);
    doc.truncate(cut);
    doc
}
