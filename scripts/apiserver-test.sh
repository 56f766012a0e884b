#!/usr/bin/env bash
# Proves `reach --cluster` on a real API server: builds kube-apiserver from
# the k8s.io/kubernetes module (scripts/build-kube-apiserver.sh), installs
# Debian's etcd-server when etcd is missing, starts both on 127.0.0.1 with
# generated certificates, a static token file (admin and reach) and an audit
# log of every request, waits for /readyz, and runs the Go integration test
# (build tag `integration`) against them. Both are stopped at the end.
#
#   scripts/apiserver-test.sh           the integration test (CI runs this)
#   scripts/apiserver-test.sh --scale   also the 5,000 pods / 500 policies
#                                       measurement of snapshot's time and memory
#
# Environment: KUBE_VERSION and REACH_APISERVER_DIR (see
# build-kube-apiserver.sh); REACH_KEEP_WORKDIR=1 keeps the certificates, logs
# and audit log for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

scale=0
for arg in "$@"; do
  case "$arg" in
    --scale) scale=1 ;;
    *) echo "usage: $0 [--scale]" >&2; exit 2 ;;
  esac
done

log() { echo "apiserver-test: $(date +%T) $*" >&2; }

# --- etcd -------------------------------------------------------------------
if ! command -v etcd >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    log "etcd is not installed: apt-get install etcd-server (as root)"
    exit 1
  fi
  log "installing Debian's etcd-server"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
fi
for tool in openssl curl; do
  command -v "$tool" >/dev/null || { log "$tool is needed"; exit 1; }
done

# --- kube-apiserver ---------------------------------------------------------
start=$(date +%s)
apiserver="$(scripts/build-kube-apiserver.sh)"
log "kube-apiserver ready in $(( $(date +%s) - start ))s: $apiserver"

# --- a work directory, and stopping everything at the end -------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/reach-apiserver.XXXXXX")"
pids=()
cleanup() {
  local code=$?
  log "stopping kube-apiserver and etcd"
  # The API server first (it would wait for etcd otherwise), each given
  # 20 seconds to stop before it is killed.
  local i pid n start
  for (( i=${#pids[@]}-1; i>=0; i-- )); do
    pid=${pids[$i]}
    start=$(date +%s)
    kill "$pid" 2>/dev/null || continue
    for (( n=0; n<40; n++ )); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    log "stopped $pid in $(( $(date +%s) - start ))s"
  done
  if [ "$code" != 0 ]; then
    for f in etcd.log apiserver.log; do
      [ -f "$work/$f" ] && { log "last lines of $f:"; tail -n 30 "$work/$f" >&2; }
    done
  fi
  case "${etcd_data:-}" in /dev/shm/*) rm -rf "$etcd_data" ;; esac
  if [ "${REACH_KEEP_WORKDIR:-}" = 1 ]; then
    log "kept $work"
  else
    rm -rf "$work"
  fi
  exit "$code"
}
trap cleanup EXIT INT TERM

# free_port prints the first port from $1 up that nothing listens on.
free_port() {
  local p
  for p in $(seq "$1" $(( $1 + 200 ))); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  log "no free port from $1"
  exit 1
}
etcd_port=$(free_port 23790)
peer_port=$(free_port $(( etcd_port + 1 )))
api_port=$(free_port 26443)

# --- certificates, tokens, audit policy -------------------------------------
log "generating certificates"
cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=reach-test-ca" \
  -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
  -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
  -extfile server.ext -out server.crt 2>/dev/null
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null

admin_token="admin-$(openssl rand -hex 16)"
reach_token="reach-$(openssl rand -hex 16)"
cat >tokens.csv <<EOF
$admin_token,admin,uid-admin,"system:masters"
$reach_token,reach,uid-reach
EOF

cat >audit-policy.yaml <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
EOF

# --- etcd and the API server ------------------------------------------------
# etcd syncs every write to disk: in memory (/dev/shm) when there is one,
# the test cluster is several times faster and nothing of it is worth keeping.
etcd_data="$work/etcd"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  etcd_data="$(mktemp -d /dev/shm/reach-etcd.XXXXXX)"
fi
etcd --name reach-test --data-dir "$etcd_data" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "reach-test=http://127.0.0.1:$peer_port" \
  >etcd.log 2>&1 &
pids+=($!)

"$apiserver" \
  --etcd-servers="http://127.0.0.1:$etcd_port" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
  --cert-dir="$work/certs" --tls-cert-file="$work/server.crt" --tls-private-key-file="$work/server.key" \
  --client-ca-file="$work/ca.crt" \
  --token-auth-file="$work/tokens.csv" \
  --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$work/sa.pub" --service-account-signing-key-file="$work/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 \
  --disable-admission-plugins=ServiceAccount \
  --audit-policy-file="$work/audit-policy.yaml" --audit-log-path="$work/audit.log" \
  --audit-log-mode=blocking \
  --endpoint-reconciler-type=none \
  --profiling=false \
  >apiserver.log 2>&1 &
pids+=($!)

server="https://127.0.0.1:$api_port"
start=$(date +%s)
until curl -fsS --cacert ca.crt -H "Authorization: Bearer $admin_token" "$server/readyz" >/dev/null 2>&1; do
  if ! kill -0 "${pids[0]}" 2>/dev/null || ! kill -0 "${pids[1]}" 2>/dev/null; then
    log "etcd or kube-apiserver exited"
    exit 1
  fi
  if [ $(( $(date +%s) - start )) -gt 180 ]; then
    log "kube-apiserver not ready after 180s"
    exit 1
  fi
  sleep 1
done
log "kube-apiserver ready at $server after $(( $(date +%s) - start ))s"

# --- the tests ----------------------------------------------------------------
cd "$repo"
export REACH_APISERVER="$server"
export REACH_APISERVER_CA="$work/ca.crt"
export REACH_ADMIN_TOKEN="$admin_token"
export REACH_USER_TOKEN="$reach_token"
export REACH_AUDIT_LOG="$work/audit.log"
export REACH_CLUSTERROLE="$repo/deploy/reach-clusterrole.yaml"

export REACH_BIN="$work/reach"
log "building reach"
go build -o "$REACH_BIN" ./cmd/reach

# run_test NAME: runs one integration test of ./model, verbosely, and fails
# unless it ran and passed.
run_test() {
  local start out
  start=$(date +%s)
  out="$work/$1.out"
  if ! go test -tags integration -count=1 -timeout 30m -run "^$1\$" -v ./model/ >"$out" 2>&1; then
    grep -v '^=== \(RUN\|PAUSE\|CONT\)' "$out" >&2
    log "$1 failed"
    exit 1
  fi
  grep -v '^=== \(RUN\|PAUSE\|CONT\)' "$out" >&2
  grep -q -- "--- PASS: $1 " "$out" || { log "$1 did not run"; exit 1; }
  log "$1: $(( $(date +%s) - start ))s"
}

run_test TestLive
if [ "$scale" = 1 ]; then
  REACH_SCALE=1 run_test TestLiveScale
fi
