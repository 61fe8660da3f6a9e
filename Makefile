# pairprog: the two commands are `make run` and `make test`.

.PHONY: run test fuzz bench frontend build clean

# Builds the browser app and the server, then serves on http://localhost:8000
# with the embedded store (./data) unless DATABASE_URL and REDIS_URL are set.
run: frontend
	cargo run --release -p pairprog

# Every test, plus formatting and lints; installs and starts what it needs.
test:
	bash scripts/test.sh

# Each fuzz target for SECONDS (default 30); see docs/fuzzing.md.
fuzz:
	bash scripts/fuzz.sh $(SECONDS)

# The published benchmark: writes docs/benchmarks.md.
bench:
	bash scripts/bench.sh

frontend:
	cd frontend && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build

build: frontend
	cargo build --release -p pairprog

clean:
	cargo clean
	rm -rf frontend/dist frontend/node_modules
