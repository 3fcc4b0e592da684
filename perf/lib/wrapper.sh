# Sourced by perf/run.sh, perf/failover.sh and perf/star.sh: the namespace prefix and the teardown their cleanup traps need.

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
