#!/usr/bin/env bash
# One server, many clients (issue 15): perf/lib/star.py over scripts/star-testbed.sh. Needs root.
#   perf/star.sh [--clients N] [--seconds S] [--idle S] [--shape MBIT] [--nat I:K ...] [--out DIR] [--prefix P]
# The trap removes the star's namespaces (and ends what runs in them) also after Ctrl-C or a failure.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=python3; [[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3
for a in "$@"; do [[ $a == -h || $a == --help ]] && exec "$PY" "$HERE/lib/star.py" --help; done
[[ $EUID -eq 0 ]] || { echo "star: needs root (network namespaces, TUN)" >&2; exit 2; }
command -v iperf3 >/dev/null || { echo "star: iperf3 missing (perf/run.sh installs the harness's packages)" >&2; exit 2; }
source "$HERE/lib/wrapper.sh"
prefix=$(perf_prefix mfstar "$@")   # the default as in star.py
PERF_WORKDIR=$(mktemp -d /tmp/mptfast-star-XXXXXX)
export PERF_WORKDIR
cleanup() { local rc=$?; trap - EXIT INT TERM HUP; bash "$ROOT/scripts/star-testbed.sh" --prefix "$prefix" down >/dev/null 2>&1 || true; rm -rf -- "$PERF_WORKDIR"; exit "$rc"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
status=0
"$PY" "$HERE/lib/star.py" "$@" || status=$?
exit "$status"
