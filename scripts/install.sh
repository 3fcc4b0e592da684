#!/usr/bin/env bash
# Installs the NativeAOT binary as DIR/bin/mptfast plus the two faces of the original MPT as symlinks:
#   DIR/bin/mptsrv -> mptfast   (the daemon, as `mptfast run`)
#   DIR/bin/mpt    -> mptfast   (the command line, as `mptfast COMMAND`)
# Usage: scripts/install.sh [--prefix DIR] [--binary FILE]
#   --prefix DIR   install root (default /usr/local)
#   --binary FILE  the binary to install (default artifacts/bin/mptfast; built with scripts/publish.sh if missing)
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=/usr/local
binary=artifacts/bin/mptfast
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --binary) binary="${2:?--binary needs a file}"; shift 2 ;;
        -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

if [ ! -x "$binary" ]; then
    echo "install.sh: $binary not found; building it with scripts/publish.sh" >&2
    scripts/publish.sh >/dev/null
fi

install -d "$prefix/bin"
install -m 0755 "$binary" "$prefix/bin/mptfast"
ln -sfn mptfast "$prefix/bin/mptsrv"
ln -sfn mptfast "$prefix/bin/mpt"
echo "installed: $prefix/bin/mptfast, $prefix/bin/mptsrv -> mptfast, $prefix/bin/mpt -> mptfast"
