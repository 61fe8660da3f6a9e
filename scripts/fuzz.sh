#!/usr/bin/env bash
# Runs every fuzz target (cargo fuzz, libFuzzer) for a bounded time and
# fails on any crash. Usage: scripts/fuzz.sh [seconds per target, default 30]
#
# With FUZZ_FIXED=1 (what `make test` uses) each target starts from the
# committed seeds alone and makes a fixed number of runs from a fixed
# random seed, the seconds only a cap: the same binary explores the same
# inputs (a build elsewhere differs a little: its paths are compiled in).
# Without
# it the run explores freely and keeps its corpus under target/ between
# runs (`make fuzz`, docs/fuzzing.md): new findings come from there.
#
# Only the stable toolchain is assumed: RUSTC_BOOTSTRAP=1 lets it take the
# -Z flags cargo fuzz passes (coverage instrumentation). The targets run
# without AddressSanitizer (`-s none`): what they hunt is panics, runaway
# allocation and stalls in safe Rust, and ASan would also instrument the
# bundled SQLite's C build, which made the build depend on the C
# toolchain's sanitizer runtime (docs/fuzzing.md). If
# cargo-fuzz cannot be installed because no registry is reachable, the
# run is skipped with a note; any other failure fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-30}
targets=(yjs_frame json_merge awareness)
# Runs per target in FUZZ_FIXED mode: about 10 s each on this machine.
declare -A fixed_runs=([yjs_frame]=500000 [json_merge]=20000 [awareness]=1000000)
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    log=$(mktemp)
    if ! cargo install cargo-fuzz --locked >"$log" 2>&1; then
        tail -5 "$log"
        if grep -qiE 'failed to (download|query|update|load).*(index|registry|crates)|could not resolve host|network|timed out|connection (refused|reset)' "$log"; then
            echo "fuzz: SKIPPED: cargo-fuzz is not installable here (no registry); nothing was fuzzed"
            rm -f "$log"
            exit 0
        fi
        echo "fuzz: installing cargo-fuzz failed (see above)" >&2
        rm -f "$log"
        exit 1
    fi
    rm -f "$log"
fi
echo "fuzz: $(cargo fuzz --version)"

sanitizer=(-s none)
log=target/fuzz-build.log
mkdir -p target
echo "fuzz: building ${targets[*]}"
if ! cargo fuzz build "${sanitizer[@]}" >"$log" 2>&1; then
    grep -E '^(error|warning: cc|  cargo:warning)|error:' "$log" | head -40
    tail -20 "$log"
    echo "fuzz: building the fuzz targets FAILED (full log: $log)" >&2
    exit 1
fi

# New inputs go to the first corpus directory (under target/), the
# committed seeds are only read: a run never adds files to the repository.
work=target/fuzz-corpus
if [[ ${FUZZ_FIXED:-} == 1 ]]; then
    work=target/fuzz-corpus-fixed
    rm -rf "$work"
fi
for target in "${targets[@]}"; do
    mkdir -p "$work/$target"
    bounds=(-max_total_time="$seconds")
    if [[ ${FUZZ_FIXED:-} == 1 ]]; then
        bounds+=(-seed=1 -runs="${fixed_runs[$target]}")
        echo "fuzz: $target, ${fixed_runs[$target]} runs from seed 1 (at most ${seconds}s)"
    else
        echo "fuzz: $target for ${seconds}s"
    fi
    log="target/fuzz-$target.log"
    if ! cargo fuzz run "${sanitizer[@]}" "$target" "$work/$target" "fuzz/corpus/$target" -- \
        "${bounds[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1; then
        tail -40 "$log"
        echo "fuzz: $target FAILED; the crashing input is under fuzz/artifacts/$target/" >&2
        exit 1
    fi
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
    speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
    corpus=$(grep -oE 'corp: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo '?')
    echo "fuzz: $target ok: $runs executions, $speed exec/s, corpus $corpus, 0 crashes"
done
