# syntax=docker/dockerfile:1
#
# pairprog: one image with the server binary, the built browser app and the
# SQL migrations.  Three stages:
#   frontend  node 20 builds frontend/ into frontend/dist
#   builder   Rust builds the release binary; dependencies are compiled in a
#             layer of their own (dummy sources), so editing src/ does not
#             recompile the whole dependency tree
#   runtime   debian:bookworm-slim (same glibc as the builder), non-root
#
#   docker build -t pairprog:local .
#   docker run --rm -p 8000:8000 pairprog:local     # embedded SQLite mode

############################ front end ############################
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
# Manifests first: `npm ci` is cached until package*.json change.
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

############################ server ###############################
FROM rust:1.95-slim-bookworm AS builder
WORKDIR /src

# 1. Dependency layer: the workspace manifests and lock file with dummy
#    targets.  Rebuilt only when Cargo.toml / Cargo.lock change.
COPY Cargo.toml Cargo.lock ./
COPY loadtest/Cargo.toml loadtest/Cargo.toml
RUN mkdir -p src loadtest/src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && echo 'fn main() {}' > loadtest/src/main.rs \
    && cargo build --release --locked -p pairprog \
    && rm -rf src loadtest/src \
              target/release/.fingerprint/pairprog-* \
              target/release/deps/pairprog-* \
              target/release/deps/libpairprog-* \
              target/release/pairprog

# 2. The real sources (sql/ too: migrations may be embedded at compile time).
COPY src/ src/
COPY sql/ sql/
COPY loadtest/src/ loadtest/src/
RUN cargo build --release --locked -p pairprog \
    && strip target/release/pairprog

############################ runtime ##############################
FROM debian:bookworm-slim AS runtime

# ca-certificates for TLS to managed Postgres/Redis, curl for HEALTHCHECK.
# Versions are not pinned: the bookworm security updates are wanted.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 pairprog \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app \
               --no-create-home --shell /usr/sbin/nologin pairprog

WORKDIR /app
COPY --from=builder /src/target/release/pairprog /app/pairprog
COPY --from=frontend /src/frontend/dist /app/frontend/dist
COPY sql/ /app/sql/
# /app/data is only used in embedded (SQLite) mode; writable by the app user.
RUN mkdir -p /app/data && chown 10001:10001 /app/data

ENV HOST=0.0.0.0 \
    PORT=8000 \
    PAIRPROG__SERVER__STATIC_DIR=/app/frontend/dist \
    PAIRPROG__STORE__DATA_DIR=/app/data

USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/bin/sh", "-c", "curl -fsS -o /dev/null \"http://127.0.0.1:${PORT:-8000}/healthz\" || exit 1"]

ENTRYPOINT ["/app/pairprog"]
