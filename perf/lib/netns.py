"""The topology side of the harness: the shared testbed, kernel VXLAN, and MptFast daemons.

Everything is created inside the harness's own namespace pair (PREFIXa/PREFIXb, made by
../shared/testbed/netns-testbed.sh) and every process started here is recorded in Processes and
ended by PID (never by name). Teardown is idempotent; the harness calls it at the end, on Ctrl-C
and on failure.
"""

import os
import signal
import subprocess
import sys
import time

from scenarios import TUN_ADDR, TUN_ADDR6, TUNNEL_MTU, VXLAN_ADDR

VXLAN_DEV = "vxperf"
VXLAN_ID = 4242
VXLAN_PORT = 4789
DATA_PORT = 23456
COMMAND_PORT = 60456


class HarnessError(Exception):
    """A scenario cannot be set up or measured; the message says why."""


class Interrupted(BaseException):   # not an Exception: no handler below may swallow it
    """SIGINT/SIGTERM/SIGHUP: stop measuring, clean up, still write what was measured."""


def raise_on_signals():
    """From now on SIGINT, SIGTERM and SIGHUP raise Interrupted in the main thread."""
    def on_signal(signum, _frame):
        raise Interrupted(signal.Signals(signum).name)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)


def run(cmd, timeout=60, check=True):
    """Runs a short command, returns CompletedProcess (text). Raises HarnessError on failure when check."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise HarnessError(f"'{' '.join(cmd)}' did not finish within {timeout} s") from e
    if check and r.returncode != 0:
        raise HarnessError(f"'{' '.join(cmd)}' exited {r.returncode}: {(r.stdout + r.stderr).strip()}")
    return r


class Processes:
    """Every long-running child of the harness, so that all of them can be ended by PID."""

    def __init__(self):
        self._procs = []

    def start(self, cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        # New session: a Ctrl-C on the terminal reaches only the harness, which then ends its
        # children itself in a known order (load, then daemons, then namespaces).
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                             start_new_session=True)
        self._procs.append(p)
        return p

    def stop(self, p, grace=10.0):
        """SIGTERM, wait up to grace seconds, then SIGKILL; returns the exit code (None if unknown)."""
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(5)
        if p in self._procs:
            self._procs.remove(p)
        return p.returncode

    def stop_all(self):
        for p in list(reversed(self._procs)):
            try:
                self.stop(p, grace=5.0)
            except (OSError, subprocess.TimeoutExpired):
                pass


class Testbed:
    """The two-namespace, two-path testbed of ../shared/testbed (paths veth1, veth2)."""

    def __init__(self, script, prefix, paths=2):
        self.script = script
        self.prefix = prefix
        self.paths = paths

    def ns(self, side):
        return self.prefix + side

    def _tb(self, *args, timeout=60):
        return run(["bash", self.script, "--prefix", self.prefix, *args], timeout=timeout)

    def up(self):
        """(Re-)asserts the testbed: links up, every impairment cleared (the script's 'up' is declarative)."""
        self._tb("up", "--paths", str(self.paths))

    def shape(self, path, mbit):
        self._tb("shape", str(path), str(mbit))

    def down(self):
        run(["bash", self.script, "--prefix", self.prefix, "down"], timeout=60, check=False)

    def linkdown(self, path, mode="down"):
        """Fails a path: 'down' takes both veth ends admin-down (carrier loss), 'drop' keeps them up and drops every
        packet with nftables (a silent failure)."""
        self._tb("linkdown", str(path), "--mode", mode)

    def linkup(self, path):
        self._tb("linkup", str(path))

    def exec_(self, side, *cmd, timeout=60, check=True):
        return run(["ip", "netns", "exec", self.ns(side), *cmd], timeout=timeout, check=check)

    def wait_reachable(self, side, addr, seconds=15):
        """Pings addr from side until one reply arrives or the deadline passes."""
        deadline = time.monotonic() + seconds
        last = ""
        while time.monotonic() < deadline:
            r = self.exec_(side, "ping", "-n", "-c", "1", "-W", "1", addr, timeout=10, check=False)
            if r.returncode == 0:
                return
            last = (r.stdout + r.stderr).strip().splitlines()[-1:] or [""]
            last = last[0]
            time.sleep(0.2)
        raise HarnessError(f"{addr} not reachable from {self.ns(side)} within {seconds} s ({last})")


def vxlan_up(tb):
    """Kernel VXLAN over path 1: the in-kernel UDP tunnel that MptFast is compared with."""
    for side, local, remote in (("a", "198.18.1.1", "198.18.1.2"), ("b", "198.18.1.2", "198.18.1.1")):
        ns = tb.ns(side)
        run(["ip", "-n", ns, "link", "del", VXLAN_DEV], check=False)
        run(["ip", "-n", ns, "link", "add", VXLAN_DEV, "type", "vxlan", "id", str(VXLAN_ID),
             "local", local, "remote", remote, "dstport", str(VXLAN_PORT), "dev", "veth1"])
        run(["ip", "-n", ns, "link", "set", VXLAN_DEV, "mtu", str(TUNNEL_MTU)])
        run(["ip", "-n", ns, "addr", "add", VXLAN_ADDR[side] + "/24", "dev", VXLAN_DEV])
        run(["ip", "-n", ns, "link", "set", VXLAN_DEV, "up"])
    tb.wait_reachable("a", VXLAN_ADDR["b"])


def vxlan_down(tb):
    for side in ("a", "b"):
        run(["ip", "-n", tb.ns(side), "link", "del", VXLAN_DEV], check=False)


def write_mptfast_config(directory, side, scenario):
    """Writes one side's config in the original's layout (MPT-SPEC §5.1: interface.conf, connections/*.conf)."""
    other = "b" if side == "a" else "a"
    me, peer = (1, 2) if side == "a" else (2, 1)
    os.makedirs(os.path.join(directory, "connections"), exist_ok=True)
    with open(os.path.join(directory, "interface.conf"), "w", encoding="ascii") as f:
        f.write(f"""; perf harness, side {side} (MPT-SPEC 5.3)
[general]
tunnel_num    = 1
accept_remote = 0
cmdport_local = {COMMAND_PORT}
control_socket = {os.path.abspath(os.path.join(directory, "control.sock"))}

[tun_0]
name      = tun0
mtu       = {scenario.tunnel_mtu}
ipv4_addr = {TUN_ADDR[side]}/24
ipv6_addr = {TUN_ADDR6[side]}/64
""")
    # Extra keys of the scenario (the real-links matrix's variants): 'path.KEY' goes to every [path_i], the rest to
    # [connection]; they override the defaults below or are added.
    extra = dict(scenario.conf)
    conn = {"name": f"perf_{side}", "permission": 3, "ip_ver": 4, "ip_local": TUN_ADDR[side], "local_port": DATA_PORT,
            "ip_remote": TUN_ADDR[other], "remote_port": DATA_PORT, "remote_cmd_port": COMMAND_PORT,
            "path_count": len(scenario.paths), "network_count": 0, "status": 0,
            "reorder_window": scenario.reorder_window, "max_buffdelay_msec": 100, "auth_type": 0,
            "auth_key": "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"}
    conn.update({k: v for k, v in extra.items() if not k.startswith("path.")})
    lines = [f"; perf scenario {scenario.name}, side {side} (MPT-SPEC 5.4, 5.5)\n[connection]\n",
             "".join(f"{k:<18} = {v}\n" for k, v in conn.items())]
    for i, (path, weight) in enumerate(zip(scenario.paths, scenario.weights)):
        keys = {"interface_name": f"veth{path}", "ip_ver": 4, "private_ipaddr": f"198.18.{path}.{me}",
                "public_ipaddr": f"198.18.{path}.{me}", "gw_ipaddr": f"198.18.{path}.{peer}",
                "remote_ipaddr": f"198.18.{path}.{peer}", "keepalive_time": 1, "dead_time": 3,
                "weight_in": weight, "weight_out": weight, "status": 0}
        keys.update({k[5:]: v for k, v in extra.items() if k.startswith("path.")})
        lines.append(f"\n[path_{i}]\n" + "".join(f"{k:<14} = {v}\n" for k, v in keys.items()))
    with open(os.path.join(directory, "connections", "perf.conf"), "w", encoding="ascii") as f:
        f.write("".join(lines))
    return directory


class Daemon:
    """One `mptfast run -c DIR -d` in a namespace; ip netns exec execs the binary, so the PID is the daemon's."""

    def __init__(self, procs, tb, side, binary, confdir, logpath, extra_args):
        self.procs = procs
        self.tb = tb
        self.side = side
        self.binary = binary
        self.confdir = confdir
        self.logpath = logpath
        self._log = open(logpath, "w", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        self.proc = procs.start(["ip", "netns", "exec", tb.ns(side), binary, "run", "-c", confdir, "-d",
                                 *extra_args], stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def pid(self):
        """The daemon's PID for CPU accounting: ip netns exec normally execs the binary (same PID); if this
        ip(8) forked instead, the daemon is its only child."""
        pid = self.proc.pid
        try:
            with open(f"/proc/{pid}/comm", encoding="ascii", errors="replace") as f:
                if f.read().strip() != "ip":
                    return pid
            with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
                children = f.read().split()
            return int(children[0]) if len(children) == 1 else pid
        except (OSError, ValueError):
            return pid

    def log_tail(self, lines=25):
        try:
            with open(self.logpath, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self, seconds=20):
        """Waits for the daemon's 'ready:' line (the run contract)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with open(self.logpath, encoding="utf-8", errors="replace") as f:
                if "ready:" in f.read():
                    return
            if self.proc.poll() is not None:
                raise HarnessError(f"mptfast in {self.tb.ns(self.side)} exited with {self.proc.returncode} "
                                   f"before 'ready:'; log:\n{self.log_tail()}")
            time.sleep(0.05)
        raise HarnessError(f"mptfast in {self.tb.ns(self.side)} did not print 'ready:' within {seconds} s; "
                           f"log:\n{self.log_tail()}")

    def status(self):
        """`mptfast status --json -c DIR` (None when it fails: counters are informative only)."""
        import json
        r = self.tb.exec_(self.side, self.binary, "status", "--json", "-c", self.confdir, timeout=20, check=False)
        if r.returncode != 0:
            return None
        try:
            return json.loads(r.stdout)
        except ValueError:
            return None

    def stop(self):
        """SIGTERM (clean stop per the contract); returns the exit code."""
        try:
            return self.procs.stop(self.proc, grace=10.0)
        finally:
            self._log.close()


def cpu_seconds(pid):
    """utime + stime of a process from /proc/PID/stat, in seconds (None once it has gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            stat = f.read()
    except OSError:
        return None
    # Field 2 (comm) is in parentheses and may contain spaces: count fields after the last ')'.
    fields = stat[stat.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])   # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def mptcp_up(tb, paths):
    """Kernel MPTCP between a and b over the testbed paths (PERFORMANCE-NOTES.md, Unequal links): 4 subflows and
    4 accepted ADD_ADDRs on both ends; b signals its address on every path but the first, a adds a subflow endpoint
    on each of its own. The load then runs under `mptcpize run`."""
    for side in ("a", "b"):
        ns = tb.ns(side)
        run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.mptcp.enabled=1"])
        run(["ip", "-n", ns, "mptcp", "endpoint", "flush"])
        run(["ip", "-n", ns, "mptcp", "limits", "set", "subflow", "4", "add_addr_accepted", "4"])
    for path in paths[1:]:
        run(["ip", "-n", tb.ns("b"), "mptcp", "endpoint", "add", f"198.18.{path}.2", "dev", f"veth{path}", "signal"])
        run(["ip", "-n", tb.ns("a"), "mptcp", "endpoint", "add", f"198.18.{path}.1", "dev", f"veth{path}", "subflow"])


def link_bytes(tb, side, paths):
    """tx bytes of side's veth<i> per path (ip -s -j link): what each path carried."""
    import json
    out = {}
    for path in paths:
        r = run(["ip", "-n", tb.ns(side), "-s", "-j", "link", "show", f"veth{path}"], check=False)
        try:
            out[path] = int(json.loads(r.stdout)[0]["stats64"]["tx"]["bytes"])
        except (ValueError, KeyError, IndexError):
            out[path] = None
    return out


def start_harness(name, args):
    """The start every two-namespace harness shares (failover.py, soak.py): root and the daemon binary checked (None
    after a message when one is missing), signals turned into Interrupted, a stderr logger, the shared testbed under
    args.prefix and the list of processes to end. Returns (log, testbed, processes) or None."""
    if os.geteuid() != 0:
        print(f"{name}: needs root (network namespaces, TUN)", file=sys.stderr)
        return None
    if not os.path.exists(args.mptfast):
        print(f"{name}: no daemon binary at {args.mptfast} (scripts/publish.sh)", file=sys.stderr)
        return None
    raise_on_signals()

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    shared = os.environ.get("MPTFAST_SHARED", os.path.join(root, "..", "shared"))
    return log, Testbed(os.path.join(shared, "testbed", "netns-testbed.sh"), args.prefix), Processes()
