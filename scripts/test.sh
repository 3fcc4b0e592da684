#!/usr/bin/env bash
# MptFast test command: installs what the tests need (idempotent), builds everything (warnings are
# errors), publishes the NativeAOT binary, runs every test project and ends with one summary line
# "N passed, N failed[, N skipped]". Exit status is non-zero on any failure.
#
#   scripts/test.sh            # everything (integration tests need root + netns; under CI=true they never skip)
#   scripts/test.sh --no-integration   # pure tests only (no root needed)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
integration=1
for a in "$@"; do
  case "$a" in
    --no-integration) integration=0 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option '$a' (try --help)" >&2; exit 2 ;;
  esac
done

source scripts/lib/deps.sh
ensure_deps

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "== build (Release, warnings are errors)"
dotnet build MptFast.sln -c Release -nologo -v:q
echo "== publish NativeAOT binary"
scripts/publish.sh >/dev/null
export MPTFAST_BIN="$ROOT/artifacts/bin/mptfast"

results="$ROOT/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
projects=(tests/Engine.Tests tests/Generators.Tests tests/LinkEmu.Tests)
[ "$integration" = 1 ] && projects+=(tests/Integration.Tests)
status=0
for p in "${projects[@]}"; do
  name=$(basename "$p")
  echo "== test $name"
  if ! dotnet test "$p" -c Release --no-build -nologo \
      --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
      --logger "console;verbosity=minimal"; then
    status=1
  fi
done

# Sum the counters of every TRX file (one per project).
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
read -r passed failed skipped < <("$PY" - "$results" <<'PY'
import sys, glob, xml.etree.ElementTree as ET
p = f = s = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(path).getroot().find(".//{*}Counters")
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    s += int(c.get("notExecuted", 0))
print(p, f, s)
PY
)
if [ "$(ls "$results"/*.trx 2>/dev/null | wc -l)" -ne "${#projects[@]}" ]; then
  echo "test.sh: a test project produced no results" >&2
  failed=$((failed + 1)); status=1
fi
[ "$failed" -gt 0 ] && status=1
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit $status
