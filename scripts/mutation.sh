#!/usr/bin/env bash
# Mutation testing of one engine folder with Stryker.NET against tests/Engine.Tests (issue 14 item 2).
# Slow (minutes to an hour per folder on 2 cores): not part of scripts/test.sh or CI. Results are recorded by
# hand in docs/MUTATION.md.
#
#   scripts/mutation.sh FOLDER [OUTDIR]    # FOLDER: Wire | Reorder | Scheduling | Config (any src/Engine folder)
#   FILES="GreCodec.cs ControlAuth.cs" scripts/mutation.sh Wire   # only those files of the folder (a re-run after new tests)
#
# Stryker compiles the mutated engine into the test project's bin directory, so run it on a checkout nobody builds
# in meanwhile. The reports (html, json, markdown) go to OUTDIR (default artifacts/mutation/FOLDER).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
folder=${1:?usage: scripts/mutation.sh FOLDER [OUTDIR]}
[ -d "src/Engine/$folder" ] || { echo "mutation.sh: no folder src/Engine/$folder" >&2; exit 2; }
out=${2:-$ROOT/artifacts/mutation/$folder}
mkdir -p "$out"
mutate=("--mutate" "**/src/Engine/$folder/**/*.cs")
if [ -n "${FILES:-}" ]; then
  mutate=()
  for f in $FILES; do mutate+=("--mutate" "**/src/Engine/$folder/$f"); done
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null
cd tests/Engine.Tests
# One test process at a time: the machine is shared. Linux/ tests open real sockets and namespaces; they cover no
# pure folder and would only slow each mutant's run down. The cross-target corpus replay (every corpus file through
# every target, ~15 s) covers nearly every mutant and would run for each; the per-target replay stays.
dotnet dotnet-stryker --project MptFast.Engine.csproj --configuration Release --concurrency "${STRYKER_CONCURRENCY:-1}" \
  "${mutate[@]}" \
  --test-case-filter "FullyQualifiedName!~MptFast.Engine.Tests.Linux&FullyQualifiedName!~Every_corpus_file_keeps_every_targets_invariants" \
  --reporter Progress --reporter Html --reporter Json --reporter Markdown --reporter ClearText \
  --skip-version-check --output "$out"
