#!/usr/bin/env bash
# Autocomplete server time, the section "Autocomplete server time" of the
# published report: builds the release bench (examples/autocomplete_bench.rs),
# measures POST /api/autocomplete's server time on 2,000-line documents in
# every language, and writes its section. scripts/bench.sh runs it as its
# `autocomplete` scenario (BENCH_AC_SECTION: the section file its report
# appends); alone, it puts the section into the report itself, replacing the
# one a previous run wrote.
#
#   scripts/bench-autocomplete.sh                   measure and update docs/benchmarks.md
#   BENCH_OUT=/tmp/b.md scripts/bench-autocomplete.sh   update another report
#   BENCH_AC_SAMPLES=1000 ...                        versions per language (400)
#   BENCH_RENDER_ONLY=1 ...                          update from the last run
#   BENCH_NICE=0 ...                                 do not run ahead of other work (default nice -5)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
OUT=${BENCH_OUT:-$root/docs/benchmarks.md}
SAMPLES=${BENCH_AC_SAMPLES:-400}
target_dir=${CARGO_TARGET_DIR:-$root/target}
fragment=${BENCH_AC_SECTION:-$target_dir/bench-autocomplete.md}

log() { printf '%s bench-autocomplete: %s\n' "$(date +%T)" "$*" >&2; }

mkdir -p "$(dirname "$fragment")"
if [ -z "${BENCH_RENDER_ONLY:-}" ]; then
    log "building the release bench"
    cargo build --release -q -p pairprog --example autocomplete_bench
    log "measuring ($SAMPLES document versions per language)"
    # Ahead of other work on the machine, as scripts/bench.sh runs its servers.
    nice=${BENCH_NICE:--5}
    runner=()
    if [ "$nice" != 0 ]; then nice -n "$nice" true 2>/dev/null && runner=(nice -n "$nice") || log "could not nice to $nice"; fi
    "${runner[@]}" "$target_dir/release/examples/autocomplete_bench" --samples "$SAMPLES" --markdown "$fragment" >&2
fi
[ -s "$fragment" ] || { log "no results in $fragment: run without BENCH_RENDER_ONLY"; exit 1; }
# Inside scripts/bench.sh its report appends the section.
[ -z "${BENCH_AC_SECTION:-}" ] || exit 0

mkdir -p "$(dirname "$OUT")"
touch "$OUT"
python3 - "$OUT" "$fragment" <<'PY'
import sys

out, fragment = sys.argv[1:3]
begin, end = "<!-- autocomplete:begin -->", "<!-- autocomplete:end -->"
with open(out) as f:
    report = f.read()
with open(fragment) as f:
    section = f"{begin}\n{f.read().strip()}\n{end}\n"
if begin in report and end in report:
    head, rest = report.split(begin, 1)
    report = head + section + rest.split(end, 1)[1].lstrip("\n")
else:
    report = report.rstrip("\n") + ("\n\n" if report.strip() else "") + section
with open(out, "w") as f:
    f.write(report)
PY
log "wrote its section of $OUT"
