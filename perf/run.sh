#!/usr/bin/env bash
# MptFast performance harness: direct veth, kernel VXLAN and MptFast (1/2 paths, weighted, shaped,
# reorder on/off) measured in one run with iperf3 in two network namespaces it creates and removes.
#
#   perf/run.sh [--quick] [--runs N] [--seconds N] [--only SCENARIO[,...]] [--loads LOAD[,...]]
#               [--out DIR] [--no-offload] [--mptfast BIN] [--publish] [--prefix NAME] [--help]
#
# Writes OUT/<YYYY-MM-DD>-<hostname>.json, .md and .png (default OUT: perf/results). Needs root.
# The work is done by perf/lib/harness.py; this wrapper installs what is missing and guarantees the
# teardown (the testbed's namespaces, and every process in them, by PID) on exit, Ctrl-C or failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=python3; [[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3   # Debian's python: apt's matplotlib is for it
SHARED=${MPTFAST_SHARED:-$ROOT/../shared}
TESTBED=$SHARED/testbed/netns-testbed.sh

# --help needs neither root nor packages.
for a in "$@"; do
  if [[ $a == -h || $a == --help ]]; then exec "$PY" "$HERE/lib/harness.py" --help; fi
done

# Packages the harness needs (the lead mirrors them in scripts/lib/deps.sh). Installs only what is missing.
PERF_APT_PACKAGES=(iperf3 iproute2 iputils-ping nftables procps python3 python3-matplotlib ethtool mptcpize)
perf_deps() {
  local missing=() pkg
  for pkg in "${PERF_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if ! command -v apt-get >/dev/null; then
    echo "perf: missing packages: ${missing[*]} (no apt-get here: install them yourself)" >&2
    return 1
  fi
  echo "perf: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

if [[ $EUID -ne 0 ]]; then
  echo "perf: needs root (network namespaces, TUN)" >&2
  exit 2
fi
[[ -f $TESTBED ]] || { echo "perf: testbed script not found at $TESTBED (set MPTFAST_SHARED)" >&2; exit 2; }
perf_deps

# The namespace prefix is needed by the trap: read it from the arguments (default as in harness.py).
source "$HERE/lib/wrapper.sh"
prefix=$(perf_prefix mfperf "$@")

# Safety net behind the harness's own cleanup: if it was killed hard, its namespaces (and anything
# still running inside them, ended by PID by the testbed script) are removed here.
PERF_WORKDIR=$(mktemp -d /tmp/mptfast-perf-XXXXXX)
export PERF_WORKDIR
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  rm -rf -- "$PERF_WORKDIR"
  perf_remove_namespaces "$prefix" "$TESTBED"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# The harness runs as a child (not exec) so that the trap above still runs after it.
status=0
"$PY" "$HERE/lib/harness.py" "$@" || status=$?
exit "$status"
