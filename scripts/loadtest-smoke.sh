#!/usr/bin/env bash
# A short end-to-end run of the load tool against three real instances
# (Postgres + Redis mode): small numbers, a few seconds. It asserts
# convergence and zero loss (the load tool's exit code), not speed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

eval "$(bash scripts/services.sh env)"
cargo build --quiet --locked -p pairprog -p loadtest
target=${CARGO_TARGET_DIR:-target}

db="pairprog_smoke_$$_$RANDOM"
prefix="smoke-$$-$RANDOM"
work=$(mktemp -d /tmp/pairprog-smoke.XXXXXX)
pids=()
psql "$PAIRPROG_TEST_PG_URL" -qc "CREATE DATABASE $db"
database_url="${PAIRPROG_TEST_PG_URL%/*}/$db"

cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    psql "$PAIRPROG_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $db" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

urls=()
for i in 1 2 3; do
    HOST=127.0.0.1 PORT=0 DATABASE_URL="$database_url" REDIS_URL="$PAIRPROG_TEST_REDIS_URL" \
        PAIRPROG__REDIS__PREFIX="$prefix" PAIRPROG__SERVER__DRAIN_SECS=0 \
        PAIRPROG__LIMITS__ROOMS_PER_MINUTE=1000 RUST_LOG=warn \
        "$target/debug/pairprog" >"$work/server$i.out" 2>"$work/server$i.err" &
    pids+=($!)
    for _ in $(seq 100); do
        grep -q "listening on" "$work/server$i.out" 2>/dev/null && break
        sleep 0.1
    done
    addr=$(sed -n 's/^listening on http:\/\///p' "$work/server$i.out")
    [ -n "$addr" ] || { cat "$work/server$i.err" >&2; echo "instance $i did not start" >&2; exit 1; }
    urls+=(--url "ws://$addr")
done

"$target/debug/loadtest" "${urls[@]}" --rooms 3 --clients-per-room 3 \
    --edits-per-sec 5 --duration 3s --protocol mixed
