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
source "$HERE/lib/wrapper.sh"
perf_testbed_main failover mffail "$HERE/lib/failover.py" "ping nft ss ip" "$@"   # the prefix default as in failover.py
