# Sourced by perf/run.sh, perf/failover.sh, perf/star.sh and scripts/soak.sh: the namespace prefix and the teardown their cleanup traps need.

# perf_prefix DEFAULT ARGS...: prints the value of --prefix NAME or --prefix=NAME in ARGS, else DEFAULT.
perf_prefix() {
  local prefix=$1 args i
  shift
  args=("$@")
  for (( i = 0; i < ${#args[@]}; i++ )); do
    case ${args[i]} in
      --prefix) prefix=${args[i + 1]:-$prefix} ;;
      --prefix=*) prefix=${args[i]#--prefix=} ;;
    esac
  done
  printf '%s\n' "$prefix"
}

# perf_remove_namespaces PREFIX TESTBED_SCRIPT: the safety net behind the Python cleanup, if it was killed hard.
# PREFIXe (the link emulators' namespace of real-links scenarios) with its processes ended by PID, then the testbed's
# PREFIXa/PREFIXb (whose processes the testbed script ends by PID).
perf_remove_namespaces() {
  local prefix=$1 testbed=$2 pid
  if [[ -e /run/netns/${prefix}e ]]; then
    for pid in $(ip netns pids "${prefix}e" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 0.5
    for pid in $(ip netns pids "${prefix}e" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "${prefix}e" 2>/dev/null || true
  fi
  if [[ -e /run/netns/${prefix}a || -e /run/netns/${prefix}b ]]; then
    bash "$testbed" --prefix "$prefix" down >&2 || true
  fi
}

# perf_testbed_main NAME DEFAULT_PREFIX SCRIPT "TOOLS" ARGS...: the whole body of a wrapper around a Python script that
# builds the shared two-namespace testbed (perf/failover.sh, scripts/soak.sh): --help from the script, root, the
# testbed script ($MPTFAST_SHARED or ../shared), the tools, then the script with a trap that removes PREFIXa/PREFIXb
# (and ends what runs in them, by PID) on exit, Ctrl-C or failure. Exits with the script's status.
perf_testbed_main() {
  local name=$1 default_prefix=$2 script=$3 tools=$4 a tool
  shift 4
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  PERF_PY=python3; [[ -x /usr/bin/python3 ]] && PERF_PY=/usr/bin/python3
  PERF_SHARED=${MPTFAST_SHARED:-$root/../shared}
  PERF_TESTBED=$PERF_SHARED/testbed/netns-testbed.sh
  for a in "$@"; do
    if [[ $a == -h || $a == --help ]]; then exec "$PERF_PY" "$script" --help; fi
  done
  if [[ $EUID -ne 0 ]]; then
    echo "$name: needs root (network namespaces, TUN)" >&2
    exit 2
  fi
  [[ -f $PERF_TESTBED ]] || { echo "$name: testbed script not found at $PERF_TESTBED (set MPTFAST_SHARED)" >&2; exit 2; }
  for tool in $tools; do
    command -v "$tool" >/dev/null || { echo "$name: '$tool' missing (Debian: iputils-ping nftables iproute2)" >&2; exit 2; }
  done
  PERF_PREFIX=$(perf_prefix "$default_prefix" "$@")
  trap _perf_testbed_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM HUP
  MPTFAST_SHARED=$PERF_SHARED "$PERF_PY" "$script" "$@"
}

_perf_testbed_cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  perf_remove_namespaces "$PERF_PREFIX" "$PERF_TESTBED"
  exit "$rc"
}
