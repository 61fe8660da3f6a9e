#!/usr/bin/env bash
# `make test`: everything a change must pass, from a clean clone on a fresh
# machine. Installs and starts what the tests need when it is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

logs="$PWD/target/test-logs"
mkdir -p "$logs"
# Runs a step's command, keeping its output for the final count.
counted() { # name command...
    local name=$1
    shift
    "$@" 2>&1 | tee "$logs/$name.log"
    return "${PIPESTATUS[0]}"
}

step "system packages (postgresql, redis, nginx, chromium)"
bash scripts/install-deps.sh

step "services (Postgres, Redis)"
eval "$(bash scripts/services.sh env)"
echo "Postgres: $PAIRPROG_TEST_PG_URL  Redis: $PAIRPROG_TEST_REDIS_URL"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "front end: install, type-check, build, unit tests"
(
    cd frontend
    npm ci --no-audit --no-fund --loglevel=error
    npm run build
    counted vitest npm test
)

step "Rust tests (unit, store, bus, integration against real instances)"
counted cargo cargo test --workspace --locked --lib --bins --tests

step "fuzzing (each cargo fuzz target, a fixed number of runs from a fixed seed; skipped if cargo-fuzz cannot be installed)"
FUZZ_FIXED=1 bash scripts/fuzz.sh 60

step "browser end-to-end tests (Chromium, two instances)"
(cd frontend && counted e2e env PAIRPROG_BIN="$PWD/../target/debug/pairprog" npm run e2e)

step "load tool smoke run (three instances, convergence and zero loss)"
bash scripts/loadtest-smoke.sh

step "deployment artefacts (kustomize, schemas, nginx -t, hadolint)"
counted deploy bash scripts/check-deploy.sh

step "all checks passed"
strip() { sed 's/\x1b\[[0-9;]*m//g' "$1"; }
rust=$(strip "$logs/cargo.log" | grep -oE 'test result: ok\. [0-9]+ passed' | awk '{s += $4} END {print s + 0}')
vitest=$(strip "$logs/vitest.log" | grep -E '^ +Tests ' | grep -oE '[0-9]+ passed' | awk '{print $1}' | tail -1)
e2e=$(strip "$logs/e2e.log" | grep -oE '^[0-9]+ passed' | awk '{print $1}' | tail -1)
deploy=$(strip "$logs/deploy.log" | grep -oE '^[0-9]+ passed' | awk '{print $1}' | tail -1)
echo "Rust ${rust:-0}, front end ${vitest:-0}, browser ${e2e:-0}, deployment ${deploy:-0}, plus the load-tool run"
echo "$(( ${rust:-0} + ${vitest:-0} + ${e2e:-0} + ${deploy:-0} )) passed, 0 failed"
