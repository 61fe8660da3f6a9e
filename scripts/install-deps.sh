#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing:
# PostgreSQL, Redis, nginx and Chromium (for the browser tests). Needs root
# for apt-get; without root it only reports what is missing.
set -euo pipefail

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
have psql && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
have redis-server || missing+=(redis-server)
have nginx || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: postgresql, redis, nginx and chromium are installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing ${missing[*]}; run as root (or install them) and retry" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
