#!/usr/bin/env bash
# MptFast demo: a 2-path tunnel between two network namespaces, on the configuration built into the binary.
#
#   scripts/demo.sh [--paths 1|2] [--seconds N] [--keep-logs] [--no-offload]
#
# Installs what it needs (root, Debian packages), publishes the NativeAOT binary if missing, builds the testbed
# (../shared/testbed/netns-testbed.sh: path i = 198.18.i.1 <-> 198.18.i.2), writes both sides' configuration
# with `mptfast init-config` (SHA-256 control authentication, one fresh key), starts one daemon per side
# (tunnel 198.19.0.1 <-> 198.19.0.2, fd00:ff::1 <-> fd00:ff::2), pings through the tunnel over IPv4 and IPv6,
# runs an iperf3 TCP transfer, prints the throughput and the per-path counters, and tears everything down — also
# on Ctrl-C or failure. Exits non-zero if any step failed. Only namespaces it creates, only 198.18/15, fd00::/8.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PATHS=2
SECONDS_RUN=5
KEEP=0
RUN_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --paths) PATHS=$2; shift 2 ;;
    --seconds) SECONDS_RUN=$2; shift 2 ;;
    --keep-logs) KEEP=1; shift ;;
    --no-offload) RUN_ARGS+=(--no-offload); shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done
case "$PATHS" in 1|2) ;; *) echo "demo.sh: --paths must be 1 or 2" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: needs root (network namespaces, TUN devices)" >&2; exit 1; }

source scripts/lib/deps.sh
ensure_deps

SHARED=${MPTFAST_SHARED:-$ROOT/../shared}
TESTBED="$SHARED/testbed/netns-testbed.sh"
[ -x "$TESTBED" ] || [ -f "$TESTBED" ] || { echo "demo.sh: testbed script not found at $TESTBED" >&2; exit 1; }
BIN=${MPTFAST_BIN:-$ROOT/artifacts/bin/mptfast}
if [ ! -x "$BIN" ]; then
  echo "== publishing the NativeAOT binary (first run only)"
  scripts/publish.sh >/dev/null
fi

PREFIX=${MPTFAST_DEMO_PREFIX:-mptdemo}
NSA=${PREFIX}a
NSB=${PREFIX}b
WORK=$(mktemp -d /tmp/mptfast-demo.XXXXXX)
PIDS=()

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  bash "$TESTBED" --prefix "$PREFIX" down >/dev/null 2>&1 || true
  if [ "$KEEP" = 1 ] || [ $rc -ne 0 ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
  [ $rc -eq 0 ] && echo "demo: ok" || echo "demo: FAILED (exit $rc)" >&2
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { echo; echo "== $*"; }

step "testbed: $PATHS path(s) between $NSA and $NSB"
bash "$TESTBED" --prefix "$PREFIX" up --paths 2 --v6

step "configuration: the built-in example, both sides, SHA-256 control authentication with a fresh shared key"
"$BIN" init-config --side a --paths "$PATHS" --peer-dir "$WORK/b" "$WORK/a"
# Both daemons share this host's file system: each gets its own control socket (the default is /run/mptfast/control.sock).
for side in a b; do
  sed -i "s|^\[general\]\$|[general]\ncontrol_socket = $WORK/$side/control.sock|" "$WORK/$side/interface.conf"
done
"$BIN" check -c "$WORK/a"
"$BIN" check -c "$WORK/b"

start_daemon() {
  local side=$1 ns=$2
  ip netns exec "$ns" "$BIN" run -c "$WORK/$side" -d "${RUN_ARGS[@]}" >"$WORK/$side.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    grep -q "ready:" "$WORK/$side.log" && { grep "ready:" "$WORK/$side.log"; return 0; }
    kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$WORK/$side.log" >&2; return 1; }
    sleep 0.1
  done
  echo "daemon $side did not become ready" >&2; cat "$WORK/$side.log" >&2; return 1
}
step "daemons"
start_daemon a "$NSA"
start_daemon b "$NSB"

step "ping through the tunnel: IPv4 198.19.0.2, IPv6 fd00:ff::2"
ip netns exec "$NSA" ping -4 -c 3 -i 0.2 -w 10 198.19.0.2
ip netns exec "$NSA" ping -6 -c 3 -i 0.2 -w 10 fd00:ff::2

step "iperf3 TCP, $SECONDS_RUN s, a -> b through the tunnel"
ip netns exec "$NSB" iperf3 -s -1 -B 198.19.0.2 -p 5201 >"$WORK/iperf-server.log" 2>&1 &
PIDS+=($!)
sleep 0.5
ip netns exec "$NSA" timeout $((SECONDS_RUN + 20)) iperf3 -c 198.19.0.2 -p 5201 -t "$SECONDS_RUN" -J >"$WORK/iperf.json"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
"$PY" - "$WORK/iperf.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["end"]["sum_received"]
print("throughput: %.2f Gbit/s (%d bytes in %.1f s, %d retransmits)" % (
    s["bits_per_second"] / 1e9, s["bytes"], s["seconds"], r["end"]["sum_sent"].get("retransmits", 0)))
PYEOF

step "per-path counters, side a"
ip netns exec "$NSA" "$BIN" status --json -c "$WORK/a" >"$WORK/status-a.json"
"$PY" - "$WORK/status-a.json" <<'PYEOF'
import json, sys
st = json.load(open(sys.argv[1]))
print("%-12s %-4s %-26s %-7s %10s %14s %10s %14s %8s %8s" % ("connection", "path", "local -> remote", "status",
      "tx pkts", "tx bytes", "rx pkts", "rx bytes", "ka out", "ka in"))
for c in st["connections"]:
    for p in c["paths"]:
        print("%-12s %-4d %-26s %-7s %10d %14d %10d %14d %8d %8d" % (c["file"], p["index"], p["local"] + " -> " + p["remote"],
              p["status_name"], p["tx_packets"], p["tx_bytes"], p["rx_packets"], p["rx_bytes"], p["keepalives_sent"], p["keepalives_received"]))
        drops = {k: v for k, v in p["drops"].items() if v}
        if drops:
            print("%17s drops: %s" % ("", drops))
PYEOF
