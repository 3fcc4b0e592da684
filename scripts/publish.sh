#!/usr/bin/env bash
# Publishes the NativeAOT binary to artifacts/bin/mptfast (x86-64-v3 / AVX2, see src/Host).
#   scripts/publish.sh [extra dotnet publish arguments, e.g. -p:MptConfig=path/to/conf]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet publish src/Host -c Release -nologo -v:q -o artifacts/bin "$@"
echo "$(pwd)/artifacts/bin/mptfast"
