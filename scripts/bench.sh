#!/usr/bin/env bash
# The benchmark we publish: pairprog side by side with its peers, in one
# interleaved run on this machine, rendered into docs/benchmarks.md (and
# the table in README.md's benchmark section).
#
# Servers ("groups"), each with services of its own so their CPU can be
# counted (started here on free loopback ports, stopped on exit):
#   pairprog    3 release instances + Redis + Postgres (a private cluster)
#   hocuspocus  2 Hocuspocus 3.4 instances + Redis (@hocuspocus/extension-redis)
#   ywebsocket  1 y-websocket server (@y/websocket-server; no scale-out)
# The peers come from npm with pinned versions (bench/peers, `npm ci`).
# Every scenario runs against every group, round by round, with the same
# load generator (loadtest/, `--protocol hocuspocus` for Hocuspocus).
#
#   scripts/bench.sh                  full run (about 14 minutes after the build)
#   QUICK=1 scripts/bench.sh          a short pass (about 4 minutes) for development
#   BENCH_SERVERS="pairprog hocuspocus" scripts/bench.sh   some groups only
#   BENCH_SCENARIOS="pairs ramp" scripts/bench.sh          some scenarios only
#       (pairs team crowd extras ramp idle autocomplete)
#   BENCH_DURATION=5s BENCH_ROUNDS=1 ...   shorter steady scenarios, fewer rounds
#   BENCH_KEEP_LOGS=1 ...                  keep the servers' and runs' logs (path printed)
#   BENCH_NICE=0 ...                       do not run ahead of other work (default nice -5)
#   BENCH_WORKERS=1 ...                    pairprog's server.worker_threads (default 0: one per core)
#   BENCH_PAIRPROG_BIN=/tmp/old ...        measure another pairprog binary (A/B against a build)
#   BENCH_OUT=/tmp/b.md scripts/bench.sh   write the report elsewhere (README untouched)
#   BENCH_RENDER_ONLY=1 scripts/bench.sh   re-render from the last run's results
#                                          (kept in $target/bench/)
#
# Adding a scenario: a scenario_NAME function calling `load GROUP LABEL
# loadtest-args...`, called from main; a report section of its own can be
# dropped as Markdown into $results/sections/ (appended to the report).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if [ -n "${QUICK:-}" ]; then
    d_duration=5s d_rounds=1 d_ramp_budget=35s d_ramp_step=4s d_idle=400 d_idle_rooms=40 d_idle_hold=4s
else
    d_duration=10s d_rounds=3 d_ramp_budget=100s d_ramp_step=6s d_idle=2000 d_idle_rooms=200 d_idle_hold=10s
fi
DURATION=${BENCH_DURATION:-$d_duration}
ROUNDS=${BENCH_ROUNDS:-$d_rounds}
RAMP_BUDGET=${BENCH_RAMP_BUDGET:-$d_ramp_budget}
RAMP_STEP=${BENCH_RAMP_STEP:-$d_ramp_step}
IDLE_CONNS=${BENCH_IDLE:-$d_idle}
IDLE_ROOMS=${BENCH_IDLE_ROOMS:-$d_idle_rooms}
IDLE_HOLD=${BENCH_IDLE_HOLD:-$d_idle_hold}
SERVERS=${BENCH_SERVERS:-pairprog hocuspocus ywebsocket}
SCENARIOS=${BENCH_SCENARIOS:-pairs team crowd extras ramp idle autocomplete}
OUT=${BENCH_OUT:-$root/docs/benchmarks.md}
target_dir=${CARGO_TARGET_DIR:-$root/target}
[[ $target_dir = /* ]] || target_dir="$root/$target_dir"
results="$target_dir/bench"
peers="$root/bench/peers"

log() { printf '%s bench: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "$*"; exit 1; }
wants() { [[ " $SCENARIOS " == *" $1 "* ]]; }

# --- processes ------------------------------------------------------------

pids=()
pg_dir=""
pg_bin=""
work=""

cleanup() {
    local rc=$?
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ -n "$pg_dir" ]; then as_postgres "$pg_bin/pg_ctl" -D "$pg_dir" -m immediate stop >/dev/null 2>&1 || true; fi
    if [ -n "$work" ]; then
        if [ "$rc" -ne 0 ]; then
            log "failed (rc=$rc); logs kept in $work"
        elif [ -n "${BENCH_KEEP_LOGS:-}" ]; then
            rm -rf "$work/pg"
            log "logs kept in $work"
        else
            rm -rf "$work"
        fi
    fi
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

as_postgres() { # initdb and postgres refuse to run as root
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# wait_listening NAME PID: prints the port NAME (pid PID) announced with
# "listening on http://127.0.0.1:PORT" on stdout, once /readyz answers.
wait_listening() {
    local name=$1 pid=$2 port=""
    for _ in $(seq 300); do
        port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$work/$name.out" | head -1)
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$work/$name.err" >&2; die "$name died"; }
        sleep 0.1
    done
    [ -n "$port" ] || die "$name did not print its port"
    for _ in $(seq 100); do
        curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo "$port"
}

# start_redis NAME: a Redis of its own; sets $redis_port and $redis_pid.
start_redis() {
    redis_port=$(free_port)
    redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
        >"$work/$1.out" 2>&1 &
    redis_pid=$!
    pids+=("$redis_pid")
    for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return; sleep 0.1; done
    die "$1 did not start"
}

# start_postgres: a private cluster (its processes are pairprog's alone, so
# their CPU can be counted); sets $pg_port and $pg_pid (the postmaster).
start_postgres() {
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
    [ -x "$pg_bin/initdb" ] || die "Postgres is not installed (bash scripts/install-deps.sh)"
    pg_dir="$work/pg"
    pg_port=$(free_port)
    mkdir -p "$pg_dir" && chown postgres "$pg_dir" 2>/dev/null || true
    chmod 755 "$work"
    as_postgres "$pg_bin/initdb" -D "$pg_dir" -U postgres -A trust >"$work/initdb.log" 2>&1 ||
        { cat "$work/initdb.log" >&2; die "initdb failed"; }
    as_postgres "$pg_bin/pg_ctl" -D "$pg_dir" -l "$pg_dir/log" -w \
        -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1" start >/dev/null ||
        { cat "$pg_dir/log" >&2; die "Postgres did not start"; }
    pg_pid=$(head -1 "$pg_dir/postmaster.pid")
    psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE pairprog" >/dev/null
}

# --- groups -----------------------------------------------------------------
# G_URLS (space separated), G_PIDS (comma separated), G_REDIS, G_DB, G_PROTO
declare -A G_URLS G_PIDS G_REDIS G_DB

pairprog_instance() { # NAME: sets $url $pid
    HOST=127.0.0.1 PORT=0 \
        DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/pairprog" \
        REDIS_URL="redis://127.0.0.1:${G_REDIS_PORT[pairprog]}" \
        PAIRPROG__REDIS__PREFIX=bench \
        PAIRPROG__LOG__LEVEL=warn \
        PAIRPROG__SERVER__DRAIN_SECS=0 \
        PAIRPROG__SERVER__WORKER_THREADS=${BENCH_WORKERS:-0} \
        PAIRPROG__LIMITS__ROOMS_PER_MINUTE=1000000 \
        PAIRPROG__LIMITS__UNKNOWN_ROOMS_PER_MINUTE=${BENCH_UNKNOWN_LIMIT:-1000000} \
        PAIRPROG__LIMITS__MSGS_PER_SEC=100000 \
        PAIRPROG__LIMITS__MSG_BURST=100000 \
        PAIRPROG__STORE__DATA_DIR="$work/data-$1" \
        "$server_bin" >"$work/$1.out" 2>"$work/$1.err" &
    pid=$!
    pids+=("$pid")
    url="ws://127.0.0.1:$(wait_listening "$1" "$pid")"
}

hocuspocus_instance() { # NAME: sets $url $pid
    node "$peers/hocuspocus.mjs" --port 0 --name "$1" \
        --redis "redis://127.0.0.1:${G_REDIS_PORT[hocuspocus]}" --prefix hocuspocus-bench \
        >"$work/$1.out" 2>"$work/$1.err" &
    pid=$!
    pids+=("$pid")
    url="ws://127.0.0.1:$(wait_listening "$1" "$pid")"
}

ywebsocket_instance() { # NAME: sets $url $pid
    node "$peers/y-websocket.mjs" --port 0 >"$work/$1.out" 2>"$work/$1.err" &
    pid=$!
    pids+=("$pid")
    url="ws://127.0.0.1:$(wait_listening "$1" "$pid")"
}

declare -A G_REDIS_PORT G_COUNT=([pairprog]=3 [hocuspocus]=2 [ywebsocket]=1)
declare -A G_PROTO=([pairprog]=yjs [hocuspocus]=hocuspocus [ywebsocket]=yjs)

# start_servers GROUP: (re)starts the group's server processes.
start_servers() {
    local g=$1 urls=() ps=() i
    for i in $(seq "${G_COUNT[$g]}"); do
        "${g}_instance" "$g$i"
        urls+=("$url")
        ps+=("$pid")
    done
    G_URLS[$g]="${urls[*]}"
    G_PIDS[$g]=$(IFS=,; echo "${ps[*]}")
    log "$g: ${G_URLS[$g]} (pids ${G_PIDS[$g]})"
}

stop_servers() {
    local p
    for p in ${G_PIDS[$1]//,/ }; do kill "$p" 2>/dev/null || true; done
    for p in ${G_PIDS[$1]//,/ }; do wait "$p" 2>/dev/null || true; done
}

start_group() {
    local g=$1
    G_REDIS[$g]="" G_DB[$g]=""
    if [ "$g" != ywebsocket ]; then
        start_redis "redis-$g"
        G_REDIS[$g]=$redis_pid G_REDIS_PORT[$g]=$redis_port
    fi
    if [ "$g" = pairprog ]; then
        start_postgres
        G_DB[$g]=$pg_pid
    fi
    start_servers "$g"
}

# --- runs -------------------------------------------------------------------

# settle: waits (at most 15 s) until our servers, Redis and Postgres
# together use under 10% of a core, so one run's tail (documents being
# stored and unloaded) does not land in the next run.
settle() {
    python3 - "${pids[@]}" ${pg_pid:+"$pg_pid"} <<'PY'
import os, sys, time
roots = {int(p) for p in sys.argv[1:]}
tick = os.sysconf("SC_CLK_TCK")
def ticks():
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            f = open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(d) in roots or int(f[1]) in roots:
            total += int(f[11]) + int(f[12])
    return total
end = time.time() + 15
while time.time() < end:
    a = ticks(); time.sleep(0.5); b = ticks()
    if (b - a) / tick / 0.5 < 0.10:
        break
PY
}

# load GROUP LABEL ARGS...: one loadtest run against GROUP's instances,
# results in $results/LABEL.json. A failing run (loss, divergence, errors)
# is reported, not fatal.
load() {
    local g=$1 label=$2 u
    shift 2
    local args=(--quiet --label "$label" --json "$results/$label.json" --protocol "${G_PROTO[$g]}"
        --server-pids "${G_PIDS[$g]}")
    for u in ${G_URLS[$g]}; do args+=(--url "$u"); done
    [ -z "${G_REDIS[$g]}" ] || args+=(--redis-pid "${G_REDIS[$g]}")
    [ -z "${G_DB[$g]}" ] || args+=(--db-pid "${G_DB[$g]}")
    settle
    log "$label: $*"
    "$loadtest_bin" "${args[@]}" "$@" >"$work/$label.txt" 2>"$work/$label.err" ||
        log "$label reported failures (see below)"
    grep -E '^(latency|idle|ramp by|lost|rooms:|connections|server cpu|result)' "$work/$label.txt" |
        sed 's/^/    /' >&2 || true
}

# Steady scenarios; clients of a room alternate over the group's instances.
scenario_pairs() { load "$1" "pairs-$1-r$2" --rooms 50 --clients-per-room 2 --edits-per-sec 5 --duration "$DURATION"; }
scenario_team() { load "$1" "team-$1-r$2" --rooms 10 --clients-per-room 10 --edits-per-sec 2 --duration "$DURATION"; }
scenario_crowd() { load "$1" "crowd-$1-r$2" --rooms 1 --clients-per-room 100 --edits-per-sec 1 --duration "$DURATION"; }

# pairprog only: the pairs on one instance, and Yjs (with awareness) and
# JSON clients mixed.
scenario_extras() {
    [ -n "${G_PIDS[pairprog]:-}" ] || return 0
    local first=${G_URLS[pairprog]%% *} pid1=${G_PIDS[pairprog]%%,*} all_urls=${G_URLS[pairprog]} all_pids=${G_PIDS[pairprog]}
    G_URLS[pairprog]=$first G_PIDS[pairprog]=$pid1
    load pairprog "pairs1-pairprog-r1" --rooms 50 --clients-per-room 2 --edits-per-sec 5 --duration "$DURATION"
    G_URLS[pairprog]=$all_urls G_PIDS[pairprog]=$all_pids
    G_PROTO[pairprog]=mixed
    load pairprog "mixed-pairprog-r1" --rooms 20 --clients-per-room 4 --edits-per-sec 2 --awareness --duration "$DURATION"
    G_PROTO[pairprog]=yjs
}

# Capacity: rooms x 2 clients x 5 edits/s, rooms x1.4 per step, until p99
# passes 50 ms or an edit goes missing.
scenario_ramp() {
    load "$1" "ramp-$1" --rooms 20 --clients-per-room 2 --edits-per-sec 5 --ramp --ramp-by rooms \
        --ramp-factor 1.4 --step "$RAMP_STEP" --ramp-p99-ms 50 --duration "$RAMP_BUDGET"
}

# Idle connections, on freshly started servers so earlier rooms do not
# blur memory or upkeep.
scenario_idle() {
    stop_servers "$1"
    start_servers "$1"
    load "$1" "idle-$1-r$2" --idle "$IDLE_CONNS" --rooms "$IDLE_ROOMS" --idle-hold "$IDLE_HOLD"
}

# The groups in round R's order: reversed every other round, so no server
# always runs right after the same one.
round_order() {
    local order=($SERVERS)
    if (($1 % 2 == 0)); then
        local rev=() i
        for ((i = ${#order[@]} - 1; i >= 0; i--)); do rev+=("${order[i]}"); done
        order=("${rev[@]}")
    fi
    echo "${order[@]}"
}

ensure_peers() {
    command -v node >/dev/null || die "node is not installed (the peers run on Node 20)"
    if [ ! -f "$peers/node_modules/.package-lock.json" ] ||
        [ "$peers/package-lock.json" -nt "$peers/node_modules/.package-lock.json" ]; then
        log "installing the peers (npm ci in bench/peers)"
        (cd "$peers" && npm ci --omit=optional --no-audit --no-fund --loglevel=error)
    fi
}

measure() {
    rm -rf "$results" && mkdir -p "$results/sections"
    work=$(mktemp -d /tmp/pairprog-bench.XXXXXX)
    command -v redis-server >/dev/null || die "redis-server is not installed (bash scripts/install-deps.sh)"
    [[ " $SERVERS " != *" hocuspocus "* && " $SERVERS " != *" ywebsocket "* ]] || ensure_peers
    log "building release binaries"
    cargo build --release -q -p pairprog -p loadtest
    server_bin=${BENCH_PAIRPROG_BIN:-$target_dir/release/pairprog}
    loadtest_bin="$target_dir/release/loadtest"
    # Thousands of sockets on each side (children inherit the limit).
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    [ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 10000 ] || log "warning: ulimit -n is $(ulimit -n)"

    # Ahead of other work on a shared machine (builds, tests), evenly for
    # every server: all we start inherits it. BENCH_NICE=0 to leave it.
    local g r s nice=${BENCH_NICE:--5}
    if [ "$nice" != 0 ]; then renice -n "$nice" -p $$ >/dev/null 2>&1 || log "could not renice to $nice"; fi
    for g in $SERVERS; do start_group "$g"; done
    for r in $(seq "$ROUNDS"); do
        for s in pairs team crowd; do
            wants "$s" || continue
            for g in $(round_order "$r"); do "scenario_$s" "$g" "$r"; done
        done
        if [ "$r" = 1 ] && wants extras; then scenario_extras; fi
    done
    if wants ramp; then for g in $SERVERS; do scenario_ramp "$g"; done; fi
    if wants idle; then
        for r in $(seq "$ROUNDS"); do
            for g in $(round_order "$r"); do scenario_idle "$g" "$r"; done
        done
    fi

    local commit
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    git diff --quiet HEAD -- src Cargo.toml loadtest bench 2>/dev/null || commit="$commit (with local changes)"
    python3 - "$results/meta.json" "$commit" "$DURATION" "$ROUNDS" "$RAMP_STEP" "$IDLE_HOLD" "$(nice)" \
        "$(node --version 2>/dev/null || echo none)" "$( [ -n "$pg_bin" ] && "$pg_bin/postgres" --version 2>/dev/null || echo none)" \
        "$(redis-server --version | sed 's/ sha=.*//')" <<'PY'
import datetime, json, sys
out, commit, duration, rounds, ramp_step, idle_hold, nice, node, pg, redis = sys.argv[1:11]
json.dump({"commit": commit, "duration": duration, "rounds": int(rounds), "ramp_step": ramp_step,
           "nice": int(nice),
           "idle_hold": idle_hold, "node": node, "postgres": pg, "redis": redis,
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")},
          open(out, "w"), indent=1)
PY
}

# --- autocomplete server time ---------------------------------------------
# Self-contained (no servers): scripts/bench-autocomplete.sh builds and runs
# its own bench; its section goes into $results/sections/.
scenario_autocomplete() {
    BENCH_AC_SECTION="$results/sections/autocomplete.md" bash "$root/scripts/bench-autocomplete.sh"
}

main() {
    if [ -z "${BENCH_RENDER_ONLY:-}" ]; then
        measure
        if wants autocomplete; then scenario_autocomplete; fi
    fi
    [ -f "$results/meta.json" ] || die "no results in $results (run without BENCH_RENDER_ONLY first)"
    local readme=()
    [ -n "${BENCH_OUT:-}" ] || readme=(--readme "$root/README.md")
    python3 "$root/bench/render.py" "$results" "$OUT" "${readme[@]}"
    log "wrote $OUT"
}

main
