#!/usr/bin/env bash
# Failover figures (issue 14 item 4): pings lost at 100/s when the path carrying them fails by carrier loss or by
# silent drop, and how long until it is marked down and back after healing — with MptFast's defaults (keepalive 1 s /
# dead 3 s) and with keepalive_msec 100 / dead_time_msec 300.
#
#   perf/failover.sh [--runs N] [--configs defaults,100-300] [--modes carrier,drop] [--mptfast BIN] [--prefix NAME]
#
# Writes OUT/<YYYY-MM-DD>-<hostname>-failover.json and .md (default OUT: perf/results). Needs root and the published
# binary (scripts/publish.sh). About 15 s per run: the default 3 runs x 2 configurations x 2 modes take ~3 minutes.
# The work is done by perf/lib/failover.py; this wrapper checks what it needs and removes its namespaces (and
# anything running in them, by PID, through the testbed script) on exit, Ctrl-C or failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=python3; [[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3
SHARED=${MPTFAST_SHARED:-$ROOT/../shared}
TESTBED=$SHARED/testbed/netns-testbed.sh

for a in "$@"; do
  if [[ $a == -h || $a == --help ]]; then exec "$PY" "$HERE/lib/failover.py" --help; fi
done
if [[ $EUID -ne 0 ]]; then
  echo "failover: needs root (network namespaces, TUN)" >&2
  exit 2
fi
[[ -f $TESTBED ]] || { echo "failover: testbed script not found at $TESTBED (set MPTFAST_SHARED)" >&2; exit 2; }
for tool in ping nft ss ip; do
  command -v "$tool" >/dev/null || { echo "failover: '$tool' missing (Debian: iputils-ping nftables iproute2)" >&2; exit 2; }
done

source "$HERE/lib/wrapper.sh"
prefix=$(perf_prefix mffail "$@")   # the default as in failover.py

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  perf_remove_namespaces "$prefix" "$TESTBED"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

MPTFAST_SHARED=$SHARED "$PY" "$HERE/lib/failover.py" "$@"
