#!/usr/bin/env bash
# Make sure a Postgres and a Redis are reachable for the tests, and say
# where they are.
#
#   eval "$(scripts/services.sh env)"   ensure both; print the export lines
#       export PAIRPROG_TEST_PG_URL=...; export PAIRPROG_TEST_REDIS_URL=...
#   . scripts/services.sh               the same, exported into this shell
#   scripts/services.sh status          what would be used, starting nothing
#   scripts/services.sh stop            stop the throwaway servers it started
#
# Uses 127.0.0.1:5432 (user postgres, no password) and 127.0.0.1:6379 when
# they answer. Otherwise (installing the Debian packages postgresql and
# redis-server first when running as root and they are missing) it starts
# throwaway servers under target/services/ on free loopback ports and reuses
# them on the next run. Idempotent. Only the export lines go to stdout; what
# it did goes to stderr.

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
    # Sourced: run in a child (no set -e in the caller's shell), export here.
    __pp_env=$(bash "${BASH_SOURCE[0]}" env) && eval "$__pp_env"
    unset __pp_env
    return 0 2>/dev/null
fi

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state="${CARGO_TARGET_DIR:-$root/target}/services"
[[ $state = /* ]] || state="$root/$state"
pg_dir="$state/pg"
redis_dir="$state/redis"

say() { echo "services.sh: $*" >&2; }
die() { say "$*"; exit 1; }

pg_ok() { # port
    PGCONNECT_TIMEOUT=3 psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -Atqc 'select 1' \
        >/dev/null 2>&1
}
redis_ok() { # port
    [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
        2>/dev/null && return
    local p
    for p in $(seq 15432 15999); do
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
    die "no free port found"
}

apt_install() { # packages...
    [[ $(id -u) -eq 0 ]] || die "missing $*; install them (apt-get install -y $*) or run as root"
    command -v apt-get >/dev/null || die "missing $* and no apt-get to install them"
    say "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

pg_bin() { # newest installed server version's bin dir
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
    [[ -n $d && -x $d/initdb ]] && echo "$d"
}

as_postgres() { # command... (initdb and postgres refuse to run as root)
    if [[ $(id -u) -eq 0 ]]; then
        if command -v runuser >/dev/null; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

ensure_pg() {
    if command -v psql >/dev/null && pg_ok 5432; then
        say "postgres: using 127.0.0.1:5432"
        pg_port=5432
        return
    fi
    if [[ -f $pg_dir/port ]] && pg_ok "$(cat "$pg_dir/port")"; then
        pg_port=$(cat "$pg_dir/port")
        say "postgres: reusing throwaway server on 127.0.0.1:$pg_port"
        return
    fi
    [[ -n $(pg_bin) ]] && command -v psql >/dev/null || apt_install postgresql
    local bin
    bin=$(pg_bin) || die "postgres binaries not found under /usr/lib/postgresql"
    # The Debian cluster, if there is one and it only needed starting.
    if [[ $(id -u) -eq 0 ]] && command -v pg_ctlcluster >/dev/null; then
        local ver name
        while read -r ver name _; do
            say "postgres: starting Debian cluster $ver/$name"
            pg_ctlcluster "$ver" "$name" start >&2 2>&1 || true
        done < <(pg_lsclusters -h 2>/dev/null | awk '$4 != "online"')
        if pg_ok 5432; then
            pg_port=5432
            say "postgres: using 127.0.0.1:5432"
            return
        fi
    fi
    pg_port=$(free_port)
    say "postgres: starting a throwaway server in $pg_dir on 127.0.0.1:$pg_port"
    mkdir -p "$pg_dir"
    [[ $(id -u) -eq 0 ]] && id postgres >/dev/null 2>&1 && chown -R postgres: "$pg_dir"
    if [[ ! -f $pg_dir/data/PG_VERSION ]]; then
        as_postgres "$bin/initdb" -D "$pg_dir/data" -A trust -U postgres --no-sync -E UTF8 >&2
    fi
    as_postgres "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -t 30 \
        -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" \
        start >&2 || die "postgres did not start; see $pg_dir/postgres.log"
    pg_ok "$pg_port" || die "postgres started but does not answer on $pg_port"
    echo "$pg_port" >"$pg_dir/port"
}

ensure_redis() {
    if command -v redis-cli >/dev/null && redis_ok 6379; then
        say "redis: using 127.0.0.1:6379"
        redis_port=6379
        return
    fi
    if [[ -f $redis_dir/port ]] && redis_ok "$(cat "$redis_dir/port")"; then
        redis_port=$(cat "$redis_dir/port")
        say "redis: reusing throwaway server on 127.0.0.1:$redis_port"
        return
    fi
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null || apt_install redis-server
    redis_port=$(free_port)
    say "redis: starting a throwaway server on 127.0.0.1:$redis_port"
    mkdir -p "$redis_dir"
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize yes --dir "$redis_dir" --pidfile "$redis_dir/redis.pid" \
        --logfile "$redis_dir/redis.log" >&2
    local i
    for i in $(seq 50); do
        redis_ok "$redis_port" && break
        sleep 0.1
    done
    redis_ok "$redis_port" || die "redis did not start; see $redis_dir/redis.log"
    echo "$redis_port" >"$redis_dir/port"
}

stop() {
    local bin
    if [[ -f $pg_dir/data/postmaster.pid ]] && bin=$(pg_bin); then
        say "postgres: stopping the throwaway server"
        as_postgres "$bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >&2 || true
    fi
    rm -f "$pg_dir/port"
    if [[ -f $redis_dir/port ]]; then
        say "redis: stopping the throwaway server"
        redis-cli -h 127.0.0.1 -p "$(cat "$redis_dir/port")" shutdown nosave >/dev/null 2>&1 || true
        rm -f "$redis_dir/port"
    fi
}

status() {
    local p
    for p in 5432 $(cat "$pg_dir/port" 2>/dev/null); do
        pg_ok "$p" && { echo "postgres: up on 127.0.0.1:$p"; break; }
    done || true
    for p in 6379 $(cat "$redis_dir/port" 2>/dev/null); do
        redis_ok "$p" && { echo "redis: up on 127.0.0.1:$p"; break; }
    done || true
}

case "${1:-env}" in
env)
    ensure_pg
    ensure_redis
    echo "export PAIRPROG_TEST_PG_URL=postgres://postgres@127.0.0.1:$pg_port/postgres;" \
        "export PAIRPROG_TEST_REDIS_URL=redis://127.0.0.1:$redis_port"
    ;;
status) status ;;
stop) stop ;;
*) sed -n '2,16p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
