#!/usr/bin/env bash
# Soak and flap (issue 14 item 5): TCP and UDP through a 2-path tunnel for N minutes while path 2 flaps (1 s down /
# 1 s up, alternating carrier loss and silent drop), the daemons reload every 30 s and a hostile sender mutates
# datagrams at both ports of both daemons; at the end every transfer must be byte-exact, both daemons alive, RSS and
# open file descriptors flat (first vs last window within 5 %) and every received datagram counted.
#
#   scripts/soak.sh [--minutes N] [--rate MBIT] [--out DIR] [--mptfast BIN] [--prefix NAME]   (--help for all)
#
# Exit 0 when every check holds, 1 when one fails (each failure printed), 2 on a usage or environment problem.
# Needs root and the published binary (scripts/publish.sh). Namespaces PREFIXa/PREFIXb (default mfsoak) are removed
# on exit, Ctrl-C or failure, with everything running in them (by PID, through the testbed script).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=python3; [[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3
SHARED=${MPTFAST_SHARED:-$ROOT/../shared}
TESTBED=$SHARED/testbed/netns-testbed.sh

for a in "$@"; do
  if [[ $a == -h || $a == --help ]]; then exec "$PY" "$ROOT/perf/lib/soak.py" --help; fi
done
if [[ $EUID -ne 0 ]]; then
  echo "soak: needs root (network namespaces, TUN)" >&2
  exit 2
fi
[[ -f $TESTBED ]] || { echo "soak: testbed script not found at $TESTBED (set MPTFAST_SHARED)" >&2; exit 2; }
for tool in ping nft tc ip; do
  command -v "$tool" >/dev/null || { echo "soak: '$tool' missing (Debian: iputils-ping nftables iproute2)" >&2; exit 2; }
done

source "$ROOT/perf/lib/wrapper.sh"
prefix=$(perf_prefix mfsoak "$@")

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  perf_remove_namespaces "$prefix" "$TESTBED"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

MPTFAST_SHARED=$SHARED "$PY" "$ROOT/perf/lib/soak.py" "$@"
