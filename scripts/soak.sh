#!/usr/bin/env bash
# Soak and flap (issue 14 item 5): TCP and UDP through a 2-path tunnel for N minutes while path 2 flaps (1 s down /
# 1 s up, alternating carrier loss and silent drop), the daemons reload every 30 s and a hostile sender mutates
# datagrams at both ports of both daemons; at the end every transfer must be byte-exact, both daemons alive, RSS and
# open file descriptors flat (last window at most 5 % above the first half) and every received datagram counted.
#
#   scripts/soak.sh [--minutes N] [--warmup S] [--rate MBIT] [--out DIR] [--mptfast BIN] [--prefix NAME]   (--help)
#
# Exit 0 when every check holds, 1 when one fails (each failure printed), 2 on a usage or environment problem.
# Needs root and the published binary (scripts/publish.sh). Namespaces PREFIXa/PREFIXb (default mfsoak) are removed
# on exit, Ctrl-C or failure, with everything running in them (by PID, through the testbed script).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/perf/lib/wrapper.sh"
perf_testbed_main soak mfsoak "$ROOT/perf/lib/soak.py" "ping nft tc ip" "$@"   # the prefix default as in soak.py
