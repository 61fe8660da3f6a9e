#!/usr/bin/env bash
# Render deploy/nginx.test.conf.tmpl for tests: nginx on a loopback port in
# front of N local pairprog instances, every file of nginx under OUT_DIR.
#
#   scripts/nginx-test.sh render OUT_DIR LISTEN_PORT PORT1 [PORT2 ...]
#       writes OUT_DIR/nginx.conf (OUT_DIR is created) and prints its path
#   scripts/nginx-test.sh run OUT_DIR
#       execs nginx in the foreground on OUT_DIR/nginx.conf
#
# Equivalent by hand: replace @LISTEN_PORT@ and @PREFIX_DIR@ (absolute path)
# everywhere, and the line holding @UPSTREAMS@ by one line per instance:
#   server 127.0.0.1:PORT max_fails=2 fail_timeout=5s;
# then: nginx -p DIR -c DIR/nginx.conf -e DIR/error.log -g 'daemon off;'
# (-e needs nginx >= 1.19.5; without it a non-root nginx only warns that it
# cannot open the compiled-in error log before reading the config.)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmpl="$here/../deploy/nginx.test.conf.tmpl"

usage() { sed -n '2,10p' "${BASH_SOURCE[0]}" >&2; exit 2; }

cmd=${1:-}
case "$cmd" in
render)
    [ $# -ge 4 ] || usage
    out=$2 listen=$3
    shift 3
    for p in "$listen" "$@"; do
        [[ $p =~ ^[0-9]+$ ]] || { echo "nginx-test.sh: not a port: $p" >&2; exit 2; }
    done
    mkdir -p "$out"
    out=$(cd "$out" && pwd)
    # nginx workers run as "nobody" when the master is root: they must be
    # able to enter the prefix dir to use the temp paths.
    chmod 755 "$out"
    ups=""
    for p in "$@"; do
        ups+="server 127.0.0.1:$p max_fails=2 fail_timeout=5s;\n        "
    done
    # Comment lines (which mention the placeholders) are left alone.
    sed -e "/^[[:space:]]*#/!s|@LISTEN_PORT@|$listen|g" \
        -e "/^[[:space:]]*#/!s|@PREFIX_DIR@|$out|g" \
        -e "/^[[:space:]]*#/!s|@UPSTREAMS@|${ups%\\n        }|" \
        "$tmpl" > "$out/nginx.conf"
    echo "$out/nginx.conf"
    ;;
run)
    [ $# -eq 2 ] || usage
    out=$(cd "$2" && pwd)
    exec nginx -p "$out" -c "$out/nginx.conf" -e "$out/error.log" -g 'daemon off;'
    ;;
*)
    usage
    ;;
esac
