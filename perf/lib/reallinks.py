"""What the real-links matrix measures around each load, beyond iperf3's goodput and retransmits.

- fraction: goodput ÷ the sum of the link rates averaged over the measured time (steps and 100 % loss counted; the
  rate counts Ethernet frame bytes, so even a perfect single TCP flow stays below 1: 1448 payload bytes per
  1514-byte frame = 0.956, less for a tunnel's or MPTCP's extra headers — `ceiling` in the results);
- rtt_p1_ms / rtt_p2_ms: median ping RTT on each path during the load (5 pings a second from a to b's path address):
  how much the multipath sender fills each link's queue;
- share_p1: share of side a's bytes that left on path 1 (veth1 vs veth2 tx byte counters over the load).
"""

import re
import statistics
import subprocess

from netns import link_bytes

PING_INTERVAL_S = 0.2
RTT = re.compile(r"time=([0-9.]+) ms")


class Probe:
    """Started right before a load (after the links' schedules restarted), finished right after it."""

    def __init__(self, procs, tb, sc, seconds):
        self.procs = procs
        self.tb = tb
        self.sc = sc
        self.seconds = seconds
        self.paths = [i + 1 for i in range(len(sc.links))]
        self.bytes_before = link_bytes(tb, "a", self.paths)
        self.pings = {p: procs.start(["ip", "netns", "exec", tb.ns("a"), "ping", "-n", "-i", str(PING_INTERVAL_S),
                                      "-w", str(seconds + 2), f"198.18.{p}.2"], stdout=subprocess.PIPE)
                      for p in self.paths}

    def finish(self, metrics, omit):
        """Adds fraction, rtt_p*_ms and share_p1 to metrics (a load's dict with 'gbps')."""
        out = {}
        for p, proc in self.pings.items():
            self.procs.stop(proc, grace=2.0)
            text = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            rtts = [float(x) for x in RTT.findall(text)]
            out[f"rtt_p{p}_ms"] = statistics.median(rtts) if rtts else None
        after = link_bytes(self.tb, "a", self.paths)
        sent = {p: (after[p] - self.bytes_before[p]) if after[p] is not None and self.bytes_before[p] is not None else None
                for p in self.paths}
        if all(v is not None for v in sent.values()) and sum(sent.values()) > 0:
            out["share_p1"] = sent[1] / sum(sent.values())
        capacity = capacity_mbit(self.sc, omit, self.seconds)
        if metrics.get("gbps") is not None and capacity > 0:
            out["fraction"] = metrics["gbps"] * 1e3 / capacity
        return out


def capacity_mbit(sc, omit, seconds):
    """Sum of the links' mean usable rates over the measured part of a load ([omit, seconds] after it starts)."""
    return sum(l.mean_capacity_mbit(omit, seconds) for l in sc.links)


def ceiling(kind, tunnel_mtu=None):
    """Goodput per frame byte of one full-size TCP segment on a 1500-byte link: TCP 1448 B payload (timestamps) in
    1514 B frames; MPTCP's DSS option (20 B with a 64-bit mapping, no checksum) leaves 1428 B; through MptFast's
    tunnel the inner TCP carries tunnel_mtu - 52 B (IPv4 20, TCP 20, timestamps 12: 1408 B at MTU 1460)."""
    if kind == "mptfast":
        from scenarios import REAL_LINKS_MTU
        return ((tunnel_mtu or REAL_LINKS_MTU) - 52) / 1514
    return {"mptcp": 1428}.get(kind, 1448) / 1514
