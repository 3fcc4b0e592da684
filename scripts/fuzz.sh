#!/usr/bin/env bash
# Coverage-guided fuzzing of one target with AFL++ and SharpFuzz (issue 14 item 1; fuzz/README.md).
#
#   scripts/fuzz.sh TARGET [SECONDS]        fuzz TARGET for SECONDS (default 60), then print its stats row
#   scripts/fuzz.sh --list                  the target names
#   EXECS=1000000 scripts/fuzz.sh TARGET    stop after that many executions instead (SECONDS is then the cap)
#   SAVE_CORPUS=1 scripts/fuzz.sh TARGET    also copy AFL's queue (the interesting inputs) into fuzz/corpus/TARGET
#
# Publishes fuzz/ to artifacts/fuzz/bin, instruments MptFast.Engine.dll there with the sharpfuzz tool, seeds from
# ../shared (testvectors, example configs) plus fuzz/corpus/TARGET, and runs afl-fuzz on one core. Findings go to
# artifacts/fuzz/out/TARGET; a crash is replayed at the end with its exception and stack. Exit status 1 on any crash
# or hang. Not part of scripts/test.sh: CI only replays the corpora (tests/Engine.Tests/Fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ "${1:-}" = "--list" ]; then
  grep -o '("[a-z]*", [A-Za-z]*Target.Run)' fuzz/Targets/FuzzTargets.cs | cut -d'"' -f2; exit 0
fi
target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS] (scripts/fuzz.sh --list)}
seconds=${2:-60}
grep -q "(\"$target\", " fuzz/Targets/FuzzTargets.cs || { echo "fuzz.sh: unknown target '$target' (try --list)" >&2; exit 2; }

source scripts/lib/deps.sh
ensure_apt_packages afl++
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
bin=$ROOT/artifacts/fuzz/bin/$target   # one per target, so targets can run side by side
work=$ROOT/artifacts/fuzz
if [ ! -f "$bin/.instrumented" ] || [ -n "$(find fuzz src/Engine -name '*.cs' -newer "$bin/.instrumented" | head -1)" ]; then
  echo "== publish and instrument"
  rm -rf "$bin"
  dotnet publish fuzz/MptFast.Fuzz.csproj -c Release -o "$bin" -nologo -v:q >/dev/null
  dotnet tool restore >/dev/null
  dotnet sharpfuzz "$bin/MptFast.Engine.dll" >/dev/null
  touch "$bin/.instrumented"
fi

in=$work/in/$target out=$work/out/$target
rm -rf "$in" "$out"; mkdir -p "$in" "$work/seeds" "$work/out"
dotnet "$bin/MptFast.Fuzz.dll" seed "$work/seeds"
cp "$work/seeds/$target"/* "$in"/ 2>/dev/null || true
[ -d "fuzz/corpus/$target" ] && cp "fuzz/corpus/$target"/* "$in"/ 2>/dev/null || true
dict=(); [ -f "fuzz/dictionaries/$target.dict" ] && dict=(-x "fuzz/dictionaries/$target.dict")
limit=(-V "$seconds"); [ -n "${EXECS:-}" ] && limit+=(-E "$EXECS")

echo "== afl-fuzz $target (${EXECS:+$EXECS executions, at most }$seconds s)"
# AFL_SKIP_BIN_CHECK: the target is 'dotnet', instrumented through SharpFuzz, not by afl-cc.
AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
  AFL_AUTORESUME=0 timeout $((seconds + 120)) \
  afl-fuzz -i "$in" -o "$out" -t 2000 -m none "${limit[@]}" "${dict[@]}" -- dotnet "$bin/MptFast.Fuzz.dll" "$target" \
  > "$work/$target.log" 2>&1 || { tail -20 "$work/$target.log"; echo "fuzz.sh: afl-fuzz failed (log: $work/$target.log)" >&2; exit 1; }

stats=$out/default/fuzzer_stats
value() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
crashes=$(value saved_crashes) hangs=$(value saved_hangs)
printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$target" "$(value execs_done)" "$(value execs_per_sec)" "$(value corpus_count)" \
  "$crashes" "$hangs" "$(value run_time) s"
if [ "${SAVE_CORPUS:-0}" = 1 ]; then
  mkdir -p "fuzz/corpus/$target"
  for f in "$out"/default/queue/id:*; do
    cp "$f" "fuzz/corpus/$target/$(sha1sum "$f" | cut -c1-16)"
  done
fi
if [ "$crashes" != 0 ] || [ "$hangs" != 0 ]; then
  for kind in crashes hangs; do
    ls "$out/default/$kind"/id:* >/dev/null 2>&1 && dotnet "$bin/MptFast.Fuzz.dll" replay "$target" "$out"/default/$kind/id:* | tail -40
  done
  exit 1
fi
