#!/usr/bin/env bash
# Builds the Debian package mptfast_VERSION_amd64.deb with dpkg-deb and checks it with lintian.
#
#   scripts/package.sh [--binary FILE] [--out DIR] [--no-lintian]
#
#   --binary FILE  package this published binary (scripts/test.sh passes the one it published); default: publish
#                  artifacts/bin/mptfast now with scripts/publish.sh, so a release is never built from a stale one
#   --out DIR      where the .deb goes (default artifacts/deb)
#   --no-lintian   skip lintian (it fails the build on errors; warnings are printed)
#
# VERSION is the top entry of contrib/debian/changelog, which is also the binary's version (src/Host reads it):
# a binary that reports another version is refused. Contents: /usr/sbin/mptfast with the mpt and mptsrv links,
# the systemd units of contrib/systemd, the manual pages mptfast(8) and mptfast.conf(5) rendered from
# docs/*.md (scripts/lib/manpage.py + go-md2man), the bash completion, the example configuration (the built-in
# one, src/Host/DefaultConfig), copyright and changelog. The last line printed is the .deb's path.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

binary=''
out=artifacts/deb
lintian=1
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=${2:?--binary needs a file}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --no-lintian) lintian=0; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

source scripts/lib/deps.sh
ensure_deps
for tool in dpkg-deb dpkg-shlibdeps go-md2man gzip objcopy; do
  command -v "$tool" >/dev/null || { echo "package.sh: $tool is missing (scripts/lib/deps.sh installs it as root)" >&2; exit 1; }
done

changelog=contrib/debian/changelog
version=$(sed -n '1s/^mptfast (\([^)]*\)).*/\1/p' "$changelog")
[ -n "$version" ] || { echo "package.sh: no version on line 1 of $changelog" >&2; exit 1; }
# The release date of the changelog entry: the man pages' date and every file's time (a reproducible package).
released=$(sed -n 's/^ -- .*>  \(.*\)$/\1/p' "$changelog" | head -1)
export SOURCE_DATE_EPOCH; SOURCE_DATE_EPOCH=$(date -d "$released" +%s)
date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)

if [ -z "$binary" ]; then
  scripts/publish.sh >/dev/null
  binary=artifacts/bin/mptfast
fi
[ -x "$binary" ] || { echo "package.sh: $binary is not an executable" >&2; exit 1; }
reported=$("$binary" --version)
case "$reported" in
  "mptfast $version" | "mptfast $version+"*) ;;
  *) echo "package.sh: $binary says '$reported', the changelog '$version': publish it again" >&2; exit 1 ;;
esac

work=$(mktemp -d /tmp/mptfast-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
stage=$work/mptfast
doc=$stage/usr/share/doc/mptfast

install -d -m 0755 "$stage/DEBIAN" "$stage/usr/sbin" "$stage/lib/systemd/system" "$stage/usr/share/man/man5" \
  "$stage/usr/share/man/man8" "$stage/usr/share/bash-completion/completions" "$doc/examples"

# The binary and its two faces (Program.cs picks the face from the name it is invoked as).
install -m 0755 "$binary" "$stage/usr/sbin/mptfast"
# As dh_strip: the .comment section (compiler versions) serves nothing at run time (lintian: binary-has-unneeded-section).
objcopy --remove-section=.comment "$stage/usr/sbin/mptfast"
ln -s mptfast "$stage/usr/sbin/mpt"
ln -s mptfast "$stage/usr/sbin/mptsrv"

# Debian bookworm keeps units in /lib (its dpkg does not know /lib is /usr/lib).
install -m 0644 contrib/systemd/mptfast.service contrib/systemd/mptfast@.service "$stage/lib/systemd/system/"

# One source per manual page: docs/NAME.SECTION.md, also read as it is on GitHub.
for page in docs/mptfast.8.md docs/mptfast.conf.5.md; do
  name=$(basename "$page" .md)
  python3 scripts/lib/manpage.py "$page" "$version" "$date" | go-md2man | gzip -9n > "$stage/usr/share/man/man${name##*.}/$name.gz"
done
ln -s mptfast.8.gz "$stage/usr/share/man/man8/mpt.8.gz"
ln -s mptfast.8.gz "$stage/usr/share/man/man8/mptsrv.8.gz"

install -m 0644 contrib/bash-completion/mptfast "$stage/usr/share/bash-completion/completions/mptfast"
ln -s mptfast "$stage/usr/share/bash-completion/completions/mpt"
ln -s mptfast "$stage/usr/share/bash-completion/completions/mptsrv"

install -m 0644 contrib/debian/copyright "$doc/copyright"
gzip -9n < "$changelog" > "$doc/changelog.gz"
install -m 0644 contrib/debian/README.examples "$doc/examples/README"
for side in a:src/Host/DefaultConfig/conf b:src/Host/DefaultConfig/peer/conf; do
  from=${side#*:}
  (cd "$from" && find . -name '*.conf' -type f) | while read -r f; do
    install -D -m 0644 "$from/$f" "$doc/examples/${side%%:*}/${f#./}"
  done
done

for script in postinst prerm postrm; do
  install -m 0755 "contrib/debian/$script" "$stage/DEBIAN/$script"
done

# Depends: the shared libraries the binary links (dpkg-shlibdeps wants a debian/control beside it).
mkdir -p "$work/src/debian"
printf 'Source: mptfast\n\nPackage: mptfast\nArchitecture: amd64\n' > "$work/src/debian/control"
shlibs=$(cd "$work/src" && dpkg-shlibdeps -O -e"$stage/usr/sbin/mptfast" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "package.sh: dpkg-shlibdeps found no dependencies of the binary" >&2; exit 1; }
size=$(du -k -s --apparent-size --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$size/" -e "s/@SHLIBS_DEPENDS@/$shlibs/" \
  contrib/debian/control > "$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"

find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$out"
deb="$out/mptfast_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null

if [ "$lintian" = 1 ]; then
  echo "== lintian $deb"
  lintian --fail-on error "$deb" || { echo "package.sh: lintian reports errors" >&2; exit 1; }
fi
echo "$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")"
