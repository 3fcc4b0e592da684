"""Emulated links on testbed paths: perf/tools/LinkEmu between namespace a and namespace b (perf/README.md, "Real links").

The shared testbed joins PREFIXa and PREFIXb by direct veth pairs (path i = veth<i>, 198.18.i.1 <-> 198.18.i.2). For an
emulated path the pair is replaced by two pairs through a third namespace PREFIXe, keeping the names and the address
plan of the a and b ends:

    PREFIXa veth<i> 198.18.i.1 ── a<i> [PREFIXe: LinkEmu --a a<i> --b b<i>] b<i> ── veth<i> 198.18.i.2 PREFIXb

Offloads are turned off on all four ends (tx checksum, TSO, GSO; GRO on the emulator's side), so every frame the
emulator sees is one wire-sized Ethernet frame with a complete checksum, and its per-frame loss, rate and queue apply
to real packets. Each emulator has a control socket (set / at / schedule restart / stats). Everything here is ended by
PID, then the namespace is deleted; down() is idempotent and also runs after a failure.
"""

import json
import os
import signal
import socket
import subprocess
import time

import dotnettool
from netns import HarnessError, run

DEFAULT_DLL = dotnettool.default_dll("LinkEmu")
OFFLOADS_OFF = ["tx", "off", "tso", "off", "gso", "off"]


def command(path):
    return dotnettool.command("LinkEmu", path, "--linkemu")


def build(log):
    return dotnettool.build("LinkEmu", log)


def remove_namespace(ns):
    """Ends whatever still runs in ns (by PID) and deletes it; nothing if it does not exist."""
    if not os.path.exists(f"/run/netns/{ns}"):
        return
    def signal_all(signum):
        pids = run(["ip", "netns", "pids", ns], check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signum)
            except (ProcessLookupError, ValueError):
                pass
        return pids

    deadline = time.monotonic() + 3
    while signal_all(signal.SIGTERM) and time.monotonic() < deadline:
        time.sleep(0.1)
    signal_all(signal.SIGKILL)
    run(["ip", "netns", "del", ns], check=False)


class EmulatedLinks:
    """The emulators of one testbed (namespace tb.prefix + 'e'), started by up() and ended by down()."""

    def __init__(self, procs, tb, tool, workdir):
        self.procs = procs
        self.tb = tb
        self.tool = tool
        self.workdir = workdir
        self.ns = tb.prefix + "e"
        self.links = {}
        self._emus = {}

    def up(self, links, v6=False):
        """Puts an emulator on each path of links ({path: Link}); the testbed must be up."""
        self.down()
        run(["ip", "netns", "add", self.ns])
        run(["ip", "-n", self.ns, "link", "set", "lo", "up"])
        # The emulator's namespace has no addresses: IPv6 off so that it sends nothing of its own (no ND, no MLD).
        run(["ip", "netns", "exec", self.ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
             "net.ipv6.conf.default.disable_ipv6=1"])
        for path, link in sorted(links.items()):
            self._rewire(path, v6)
            log = open(os.path.join(self.workdir, f"linkemu{path}.log"), "w", encoding="utf-8")  # noqa: SIM115
            sock = os.path.join(self.workdir, f"linkemu{path}.sock")
            args = ["ip", "netns", "exec", self.ns, *self.tool, "--a", f"a{path}", "--b", f"b{path}",
                    "--both", link.spec(), "--control", sock, *link.emu_args]
            for s in link.steps:
                args += ["--at", s.line()]
            proc = self.procs.start(args, stdout=log, stderr=subprocess.STDOUT)
            self._emus[path] = (proc, log, sock)
            self.links[path] = link
        for path in self._emus:
            self._wait_ready(path)

    def _rewire(self, path, v6):
        a, b, e = self.tb.ns("a"), self.tb.ns("b"), self.ns
        dev = f"veth{path}"
        run(["ip", "-n", a, "link", "del", dev], check=False)   # the direct pair (deleting one end removes both)
        run(["ip", "-n", b, "link", "del", dev], check=False)
        for side, ns, host in (("a", a, 1), ("b", b, 2)):
            run(["ip", "link", "add", dev, "netns", ns, "type", "veth", "peer", "name", f"{side}{path}", "netns", e])
            run(["ip", "-n", ns, "addr", "add", f"198.18.{path}.{host}/24", "dev", dev])
            if v6:
                run(["ip", "-n", ns, "addr", "add", f"fd00:{path}::{host}/64", "dev", dev, "nodad"])
            run(["ip", "netns", "exec", ns, "ethtool", "-K", dev, *OFFLOADS_OFF])
            run(["ip", "netns", "exec", e, "ethtool", "-K", f"{side}{path}", *OFFLOADS_OFF, "gro", "off"])
            run(["ip", "-n", e, "link", "set", f"{side}{path}", "up"])
            run(["ip", "-n", ns, "link", "set", dev, "up"])

    def _wait_ready(self, path, seconds=20):
        proc, log, _ = self._emus[path]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with open(log.name, encoding="utf-8", errors="replace") as f:
                text = f.read()
            if "linkemu: ready" in text:
                return
            if proc.poll() is not None:
                raise HarnessError(f"LinkEmu on path {path} exited {proc.returncode}: {text.strip()[-600:]}")
            time.sleep(0.05)
        raise HarnessError(f"LinkEmu on path {path} did not get ready within {seconds} s")

    def command(self, path, line, timeout=5.0):
        """One control command; returns the answer line (raises HarnessError on 'error: …')."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self._emus[path][2])
            s.sendall((line + "\n").encode())
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
        text = answer.decode(errors="replace").strip()
        if not text or text.startswith("error"):
            raise HarnessError(f"LinkEmu path {path}: '{line}' -> {text or 'no answer'}")
        return text

    def restart_schedules(self):
        """Every link back to its start values, its steps counted from now (called right before a load starts)."""
        for path in self._emus:
            self.command(path, "schedule restart")

    def stats(self):
        out = {}
        for path in self._emus:
            try:
                out[str(path)] = json.loads(self.command(path, "stats"))
            except (HarnessError, OSError, ValueError) as e:
                out[str(path)] = {"error": str(e)}
        return out

    def down(self):
        for proc, log, _ in self._emus.values():
            self.procs.stop(proc, grace=5.0)
            log.close()
        self._emus.clear()
        self.links = {}
        remove_namespace(self.ns)
