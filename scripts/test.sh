#!/usr/bin/env bash
# `make test`: everything a change must pass, from a clean clone on a fresh
# machine. Installs and starts what the tests need when it is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

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
    npm test
)

step "Rust tests (unit, store, bus, integration against real instances)"
cargo test --workspace --locked

step "browser end-to-end tests (Chromium, two instances)"
(cd frontend && PAIRPROG_BIN="$PWD/../target/debug/pairprog" npm run e2e)

step "load tool smoke run (three instances, convergence and zero loss)"
bash scripts/loadtest-smoke.sh

step "deployment artefacts (kustomize, schemas, nginx -t, hadolint)"
bash scripts/check-deploy.sh

step "all checks passed"
