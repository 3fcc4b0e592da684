# Installs the Debian packages the tests, demo and perf harness need — only those missing.
# Sourced by scripts/*.sh. Needs root for apt-get; without root it only reports what is missing.
# ethtool: offloads off on emulated links (LinkEmu); mptcpize: kernel MPTCP, the reference of the real-links matrix.
# dpkg-dev, binutils, lintian, go-md2man: scripts/package.sh; systemd (systemd-analyze) and strace: the service unit's tests;
# prometheus: promtool, which checks the metrics (19 MB download, 96 MB installed; no lighter exact validator in Debian);
# tmux: the live view's test (status --watch).
MPTFAST_APT_PACKAGES=(iproute2 iputils-ping nftables iperf3 python3 python3-scapy python3-matplotlib clang zlib1g-dev procps
  ethtool mptcpize dpkg-dev binutils lintian go-md2man systemd strace prometheus tmux)

ensure_deps() { ensure_apt_packages "${MPTFAST_APT_PACKAGES[@]}"; }

# Installs the named Debian packages that are missing (e.g. scripts/fuzz.sh: afl++).
ensure_apt_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "deps: missing packages: ${missing[*]} (install them as root)" >&2
    return 0
  fi
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Only promtool is wanted: where systemd runs, the package would also start a Prometheus server.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
}
