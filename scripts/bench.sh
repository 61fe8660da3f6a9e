#!/usr/bin/env bash
# The benchmark we publish: builds release binaries, starts pairprog in
# scaled mode (Postgres + Redis) on free loopback ports, runs the loadtest
# matrix and writes docs/benchmarks.md.
#
#   scripts/bench.sh                 full matrix (about 6 minutes after the build)
#   BENCH_DURATION=10s scripts/bench.sh   shorter scenarios
#   BENCH_OUT=/tmp/b.md scripts/bench.sh  write the report elsewhere
#   BENCH_RENDER_ONLY=1 scripts/bench.sh  re-render the report from the last
#                                         run's results (kept in $target/bench/)
#
# Postgres (127.0.0.1:5432, user postgres) and Redis (127.0.0.1:6379) are
# reused when they answer, started otherwise. Each run uses a fresh database
# and a unique Redis prefix, and drops/stops what it made on exit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

DURATION=${BENCH_DURATION:-20s}
RAMP_BUDGET=${BENCH_RAMP_BUDGET:-150s}
IDLE_CONNS=${BENCH_IDLE:-10000}
OUT=${BENCH_OUT:-$root/docs/benchmarks.md}
PGHOST=127.0.0.1
PGUSER=postgres
export PGHOST PGUSER
target_dir=${CARGO_TARGET_DIR:-$root/target}

results="$target_dir/bench"
work=$(mktemp -d /tmp/pairprog-bench.XXXXXX)
db="pairprog_bench_$$"
prefix="bench$$"
pids=()
started_redis=""

log() { printf '%s bench: %s\n' "$(date +%T)" "$*" >&2; }

cleanup() {
    local rc=$?
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    dropdb --if-exists "$db" 2>/dev/null || true
    redis-cli -h 127.0.0.1 --scan --pattern "$prefix:*" 2>/dev/null |
        xargs -r -n 500 redis-cli -h 127.0.0.1 del >/dev/null 2>&1 || true
    if [ -n "$started_redis" ]; then redis-cli -h 127.0.0.1 shutdown nosave >/dev/null 2>&1 || true; fi
    if [ "$rc" -ne 0 ]; then log "failed (rc=$rc); logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

mkdir -p "$results"

render_only=${BENCH_RENDER_ONLY:-}
if [ -z "$render_only" ]; then
rm -f "$results"/*.json
# --- services -----------------------------------------------------------
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    log "starting Postgres"
    ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
    pg_ctlcluster "$ver" main start
    for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 && break; sleep 0.2; done
fi
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    log "starting Redis"
    redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes >/dev/null
    started_redis=1
    for _ in $(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.2; done
fi
redis_pid=$(redis-cli -h 127.0.0.1 info server | tr -d '\r' | awk -F: '/^process_id:/{print $2}')
createdb "$db"
log "database $db, Redis prefix $prefix, Redis pid $redis_pid"

# --- build --------------------------------------------------------------
log "building release binaries"
cargo build --release -q -p pairprog -p loadtest
server_bin="$target_dir/release/pairprog"
loadtest_bin="$target_dir/release/loadtest"

# Up to 10,000+ sockets on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 30000 ] || log "warning: ulimit -n is $(ulimit -n)"

# start_instance NAME: starts one instance on a free port; sets $url and $pid.
start_instance() {
    local name=$1 out="$work/$1.out"
    HOST=127.0.0.1 PORT=0 \
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" \
        REDIS_URL="redis://127.0.0.1:6379" \
        PAIRPROG__REDIS__PREFIX="$prefix" \
        PAIRPROG__LOG__LEVEL=warn \
        PAIRPROG__LIMITS__ROOMS_PER_MINUTE=1000000 \
        PAIRPROG__LIMITS__MSGS_PER_SEC=100000 \
        PAIRPROG__LIMITS__MSG_BURST=100000 \
        PAIRPROG__STORE__DATA_DIR="$work/data-$name" \
        "$server_bin" >"$out" 2>"$work/$name.err" &
    pid=$!
    pids+=("$pid")
    local port=""
    for _ in $(seq 100); do
        port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$out" | head -1)
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$work/$name.err" >&2; log "$name died"; exit 1; }
        sleep 0.1
    done
    [ -n "$port" ] || { log "$name did not print its port"; exit 1; }
    for _ in $(seq 100); do
        curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    url="ws://127.0.0.1:$port"
    log "$name: pid $pid, $url"
}

# scenario NAME ARGS...: one loadtest run, results in $results/NAME.json.
scenario() {
    local name=$1
    shift
    log "scenario $name: $*"
    # A failing run (loss, divergence, errors) is reported, not fatal.
    "$loadtest_bin" --quiet --label "$name" --json "$results/$name.json" "$@" \
        >"$work/$name.txt" 2>"$work/$name.err" || log "scenario $name reported failures"
    cat "$work/$name.txt" >&2
}

start_instance i1; u1=$url; p1=$pid
scenario a1 --url "$u1" --rooms 50 --clients-per-room 2 --edits-per-sec 5 \
    --duration "$DURATION" --protocol yjs --server-pids "$p1" --redis-pid "$redis_pid"

start_instance i2; u2=$url; p2=$pid
start_instance i3; u3=$url; p3=$pid
three=(--url "$u1" --url "$u2" --url "$u3")
all_pids="$p1,$p2,$p3"
scenario a "${three[@]}" --rooms 50 --clients-per-room 2 --edits-per-sec 5 \
    --duration "$DURATION" --protocol yjs --server-pids "$all_pids" --redis-pid "$redis_pid"
scenario b "${three[@]}" --rooms 10 --clients-per-room 10 --edits-per-sec 2 \
    --duration "$DURATION" --protocol yjs --server-pids "$all_pids" --redis-pid "$redis_pid"
scenario c "${three[@]}" --rooms 1 --clients-per-room 100 --edits-per-sec 1 \
    --duration "$DURATION" --protocol yjs --server-pids "$all_pids" --redis-pid "$redis_pid"
scenario m "${three[@]}" --rooms 20 --clients-per-room 4 --edits-per-sec 2 \
    --duration "$DURATION" --protocol mixed --awareness --server-pids "$all_pids" --redis-pid "$redis_pid"
scenario d "${three[@]}" --rooms 50 --clients-per-room 4 --edits-per-sec 0.25 --ramp \
    --ramp-factor 1.5 --step 10s --ramp-p99-ms 50 --duration "$RAMP_BUDGET" \
    --protocol yjs --server-pids "$all_pids" --redis-pid "$redis_pid"

# (e) on an instance of its own, so earlier rooms do not blur the figure.
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()
start_instance idle
scenario e --url "$url" --idle "$IDLE_CONNS" --rooms 100 --pid "$pid"
fi

# --- report -------------------------------------------------------------
if [ -z "${BENCH_RENDER_ONLY:-}" ]; then
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    git diff --quiet HEAD -- src Cargo.toml 2>/dev/null || commit="$commit (server sources modified)"
    printf '%s\n%s\n%s\n' "$commit" "$DURATION" "$(date -u +%Y-%m-%d)" >"$results/meta"
fi
{ read -r commit; read -r DURATION; read -r run_date; } <"$results/meta"
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem_gib=$(awk '/^MemTotal:/{printf "%.1f", $2/1048576}' /proc/meminfo)
mkdir -p "$(dirname "$OUT")"
python3 - "$results" "$OUT" "$run_date" "$(nproc)" "$mem_gib" "$cpu_model" "$commit" "$DURATION" <<'PY'
import json, os, sys

work, out, date, nproc, mem, cpu, commit, duration = sys.argv[1:9]

def load(name):
    p = os.path.join(work, name + ".json")
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

def ms(x):
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"

def clean(r):
    return (r["lost_deliveries"] == 0 and r["rooms_diverged"] == 0
            and r["rooms_missing_edits"] == 0 and r["rooms_duplicated_edits"] == 0
            and r["connect_failures"] == 0 and r["disconnects"] == 0
            and r["protocol_errors"] == 0)

rows, verdicts = [], []

def other(r):
    o = r.get("other_cpu_pct")
    return "" if o is None else f"{o:.0f}%"

def steady(name, title, p99_target=None, cpu_target=None):
    r = load(name)
    if r is None:
        rows.append(f"| {title} | did not run | | | | | | | | | |")
        verdicts.append((title, "missed", "the run produced no results"))
        return
    l = r["latency"]
    cpu = r.get("server_cpu_secs_per_1000_deliveries")
    rows.append(
        f"| {title} | {r['edits_per_sec']:.0f} | {r['deliveries_per_sec']:.0f} | "
        f"{ms(l['p50_ms'])} | {ms(l['p90_ms'])} | {ms(l['p99_ms'])} | {ms(l['p999_ms'])} | "
        f"{ms(l['max_ms'])} | {r['lost_deliveries']} / {r['rooms_diverged']} | "
        f"{'' if cpu is None else f'{cpu:.3f}'} | {other(r)} |")
    checks, ok = [], True
    if p99_target is None:
        checks.append(f"p99 {ms(l['p99_ms'])} ms" + ("" if cpu is None else f", {cpu:.3f} CPU-s per 1,000 deliveries"))
    if p99_target is not None:
        good = l["p99_ms"] < p99_target and l["count"] > 0
        ok &= good
        checks.append(f"p99 {ms(l['p99_ms'])} ms {'<' if good else '>='} {p99_target} ms")
    if cpu_target is not None:
        good = cpu is not None and cpu < cpu_target
        ok &= good
        checks.append(f"{'n/a' if cpu is None else f'{cpu:.3f}'} CPU-s per 1,000 deliveries "
                      f"{'<' if good else 'not <'} {cpu_target}")
    good = clean(r)
    ok &= good
    checks.append("no lost edits, no diverged rooms, no errors" if good else
                  f"{r['lost_deliveries']} lost deliveries, {r['rooms_diverged']} diverged rooms, "
                  f"{r['rooms_missing_edits']} rooms missing edits, {r['connect_failures']} connect failures, "
                  f"{r['disconnects']} drops, {r['protocol_errors']} protocol errors")
    if (r.get("other_cpu_pct") or 0) > 25:
        checks.append(f"other processes used {r['other_cpu_pct']:.0f}% of a core meanwhile")
    if r.get("loadtest_cpu_pct", 0) > 90:
        checks.append(f"loadtest used {r['loadtest_cpu_pct']:.0f}% of a core: figures may be capped by it")
    has_target = p99_target is not None or cpu_target is not None
    verdict = ("met" if ok else "missed") if has_target else ("no target" if ok else "failed")
    verdicts.append((title, verdict, "; ".join(checks)))

steady("a1", "(a) 50 rooms x 2 clients x 5 edits/s, one instance (comparison)")
steady("a", "(a) 50 rooms x 2 clients x 5 edits/s, three instances, pairs split", 2, 0.15)
steady("b", "(b) 10 rooms x 10 clients x 2 edits/s, three instances", 3)
steady("c", "(c) 1 room x 100 clients x 1 edit/s, three instances", 20)
steady("m", "(extra) 20 rooms x 4 clients x 2 edits/s, Yjs (with awareness) and JSON mixed")

d = load("d")
ramp_lines = []
if d and d.get("ramp"):
    rp = d["ramp"]
    for s in rp["steps"]:
        ramp_lines.append(
            f"| {s['target_edits_per_sec']:.0f} | {s['edits_per_sec']:.0f} | {s['deliveries_per_sec']:.0f} | "
            f"{ms(s['latency']['p50_ms'])} | {ms(s['latency']['p99_ms'])} | {ms(s['latency']['max_ms'])} | "
            f"{s['loadtest_cpu_pct']:.0f}% |")
    good = clean(d)
    verdicts.append(("(d) ramp", "reported",
                     f"highest sustained {rp['max_sustained_edits_per_sec']:.0f} edits/s with p99 <= "
                     f"{rp['p99_limit_ms']:.0f} ms (stopped: {rp['stopped_because']}); "
                     + ("no lost edits, no diverged rooms" if good else
                        f"{d['lost_deliveries']} lost deliveries, {d['rooms_diverged']} diverged rooms")))
else:
    verdicts.append(("(d) ramp", "missed", "the run produced no results"))

e = load("e")
if e and e.get("idle"):
    i = e["idle"]
    good = i["kib_per_connection"] < 10 and i["connected"] == i["requested"]
    verdicts.append(("(e) idle connections", "met" if good else "missed",
                     f"{i['connected']}/{i['requested']} connected over {i['rooms']} rooms; server RSS "
                     f"{i['rss_before_kib']/1024:.1f} MiB -> {i['rss_after_kib']/1024:.1f} MiB = "
                     f"{i['kib_per_connection']:.2f} KiB per connection (target < 10 KiB)"))
else:
    verdicts.append(("(e) idle connections", "missed", "the run produced no results"))

with open(out, "w") as f:
    w = f.write
    w("# Benchmarks\n\n")
    w("Produced by `scripts/bench.sh` (`make bench`); do not edit by hand, re-run it.\n\n")
    w(f"- date: {date}\n- machine: {nproc} CPU cores ({cpu}), {mem} GiB memory; "
      "the load generator, every server instance, Postgres and Redis share it\n")
    w(f"- commit: {commit}\n- mode: scaled (Postgres + Redis), instances on loopback ports, release build\n")
    w(f"- each steady scenario types for {duration}; Yjs clients unless said otherwise\n\n")
    w("Latency is from the moment a client sends an edit to the moment another client of the "
      "room sees it, measured for every (edit, receiver) pair in one process with one monotonic clock. "
      "CPU is the servers' (all instances) plus Redis's user+system time during the run "
      "and drain, per 1,000 deliveries. Lost = expected deliveries never seen; diverged = rooms whose "
      "clients' texts or stored text (`GET /api/rooms/{id}`) differ at the end. \"Other load\" is the CPU "
      "that processes other than the loadtest, the instances and Redis (Postgres, anything else running) "
      "used meanwhile, in % of one core: on a 2-core machine it competes with the servers directly.\n\n")
    w("## Targets\n\n| scenario | verdict | figures |\n|---|---|---|\n")
    for t, v, c in verdicts:
        w(f"| {t} | **{v}** | {c} |\n")
    w("\n## Steady scenarios\n\n")
    w("| scenario | edits/s | deliveries/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | lost / diverged | CPU-s per 1k deliveries | other load |\n")
    w("|---|---|---|---|---|---|---|---|---|---|---|\n")
    for r in rows:
        w(r + "\n")
    if ramp_lines:
        w("\n## (d) Ramp: 50 rooms x 4 clients, three instances, from 50 edits/s, x1.5 per 10 s step\n\n")
        w("| target edits/s | sent edits/s | deliveries/s | p50 ms | p99 ms | max ms | loadtest CPU |\n")
        w("|---|---|---|---|---|---|---|\n")
        for r in ramp_lines:
            w(r + "\n")
    w("\n## Reproduce\n\n```\nmake bench            # or scripts/bench.sh; BENCH_DURATION=10s for a quicker pass\n"
      "cargo run --release -p loadtest -- --url ws://127.0.0.1:8001 --url ws://127.0.0.1:8002 \\\n"
      "    --rooms 50 --clients-per-room 2 --edits-per-sec 5 --duration 20s --protocol yjs\n```\n")
print(out)
PY
log "wrote $OUT"
