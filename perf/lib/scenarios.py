"""What the harness measures: the scenarios (topologies) and the loads (iperf3 or UdpLoad runs) applied to each.

A scenario is a topology between the two testbed namespaces plus an overlay address to aim the load
at. Every scenario of one run shares the same machine, kernel and testbed, so their ratios are
comparable even when the absolute figures are noisy (PERFORMANCE-NOTES.md, "Measuring").
"""

from dataclasses import dataclass, field

# Overlay addresses (testbed README: 198.19.0.0/16 is left free for tunnels).
TUN_ADDR = {"a": "198.19.0.1", "b": "198.19.0.2"}
TUN_ADDR6 = {"a": "fd00:ff::1", "b": "fd00:ff::2"}
VXLAN_ADDR = {"a": "198.19.1.1", "b": "198.19.1.2"}

# Inner MTU of both tunnels: VXLAN over a 1500-byte veth leaves 1450 (50 bytes of outer headers);
# MptFast gets the same so TCP uses the same MSS in both and the comparison is like for like.
TUNNEL_MTU = 1450

# Inner MTU of MptFast on the real-links matrix: the largest that fits a 1500-byte path with MptFast's outer headers
# towards an MptFast peer (IPv4 20 + UDP 8 + GRE 12 with key and sequence number = 40 bytes), as a user bonding links
# would set it (`mtu` in [tun_0]; the original's default is 1440). Kernel MPTCP uses the paths' 1500 bytes directly.
REAL_LINKS_MTU = 1460


@dataclass(frozen=True)
class Scenario:
    """One topology. kind: 'veth' (no tunnel), 'vxlan' (kernel reference), 'mptfast' or 'mptcp' (kernel MPTCP over
    the testbed paths). links: one linkemu.Link per path (paths 1..n emulated); conf: extra MptFast config keys
    ((key, value) pairs; 'path.KEY' goes to every [path_i]); group/variant: the real-links matrix row and column."""

    name: str
    kind: str
    description: str
    paths: tuple = (1,)            # testbed path numbers used (veth<i>)
    weights: tuple = (1,)          # weight_out per path (MptFast only)
    reorder_window: int = 0        # MptFast reorder_window (0 = off)
    shape: dict = field(default_factory=dict)   # testbed path -> rate in Mbit/s (both directions)
    links: tuple = ()
    conf: tuple = ()
    group: str = ""
    variant: str = ""
    tcp_buffers_mib: int = 0   # > 0: raise tcp_rmem/tcp_wmem's maximum in both namespaces (long fat paths)
    tunnel_mtu: int = TUNNEL_MTU   # MptFast's [tun_0] mtu

    @property
    def target(self):
        """Address in namespace b that the load is sent to."""
        if self.kind in ("veth", "mptcp"):
            return f"198.18.{self.paths[0]}.2"
        if self.kind == "vxlan":
            return VXLAN_ADDR["b"]
        return TUN_ADDR["b"]

    def as_json(self):
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "paths": list(self.paths),
            "weights": list(self.weights) if self.kind == "mptfast" else None,
            "reorder_window": self.reorder_window if self.kind == "mptfast" else None,
            "tunnel_mtu": self.tunnel_mtu if self.kind == "mptfast" else None,
            "shape_mbit": {str(k): v for k, v in sorted(self.shape.items())},
            "links": {str(i + 1): l.describe() for i, l in enumerate(self.links)},
            "link_specs": {str(i + 1): {"spec": l.spec(), "steps": [st.line() for st in l.steps],
                                        "queue_bytes": l.queue_bytes()} for i, l in enumerate(self.links)},
            "conf": dict(self.conf),
            "group": self.group or None,
            "variant": self.variant or None,
        }


SCENARIOS = [
    Scenario("veth", "veth", "direct veth path 1, no tunnel"),
    Scenario("vxlan", "vxlan", f"kernel VXLAN over veth path 1, MTU {TUNNEL_MTU} (in-kernel reference)"),
    Scenario("mptfast-1path", "mptfast", "MptFast, 1 path"),
    Scenario("mptfast-2path", "mptfast", "MptFast, 2 equal paths, reorder window off",
             paths=(1, 2), weights=(1, 1)),
    Scenario("mptfast-2path-reorder64", "mptfast", "MptFast, 2 equal paths, reorder window 64",
             paths=(1, 2), weights=(1, 1), reorder_window=64),
    Scenario("mptfast-2path-default", "mptfast",
             "MptFast, 2 equal paths, MptFast's defaults (adaptive scheduler, reorder_window = auto, loss recovery)",
             paths=(1, 2), weights=(1, 1), reorder_window=10000, conf=(("reorder_window", "auto"),)),
    Scenario("mptfast-2path-w3-1", "mptfast", "MptFast, 2 paths weighted 3:1, reorder window off",
             paths=(1, 2), weights=(3, 1)),
    # Shaped: single-path references first, so the aggregate can be compared with their sum.
    Scenario("mptfast-1path-shaped100", "mptfast", "MptFast, 1 path shaped to 100 Mbit/s",
             paths=(1,), shape={1: 100}),
    Scenario("mptfast-1path-shaped20", "mptfast", "MptFast, 1 path (veth2) shaped to 20 Mbit/s",
             paths=(2,), shape={2: 20}),
    Scenario("mptfast-2path-shaped100-100", "mptfast",
             "MptFast, 2 paths shaped 100+100 Mbit/s, weights 1:1, reorder window 64",
             paths=(1, 2), weights=(1, 1), reorder_window=64, shape={1: 100, 2: 100}),
    Scenario("mptfast-2path-shaped100-20", "mptfast",
             "MptFast, 2 paths shaped 100+20 Mbit/s, weights 5:1, reorder window 64",
             paths=(1, 2), weights=(5, 1), reorder_window=64, shape={1: 100, 2: 20}),
]

import matrix  # noqa: E402 (here: matrix -> linkemu -> netns imports the constants above)

from links import Link  # noqa: E402

# The emulator's own capacity (perf/README.md, "Real links"): TCP through one unlimited emulated path, without and
# with 20 ms of delay each way (32 MiB TCP buffers: 1 Gbit/s × 40 ms RTT needs a 5 MB window), and with recvmmsg
# instead of the RX ring. veth-nooffload is the same veth path without the emulator (offloads off like its veths).
CAPACITY = [
    Scenario("linkemu-0ms", "veth", "TCP through LinkEmu, unlimited rate, no delay", links=(Link(0, 0),), tcp_buffers_mib=32),
    Scenario("linkemu-20ms", "veth", "TCP through LinkEmu, unlimited rate, 20 ms each way", links=(Link(0, 20),),
             tcp_buffers_mib=32),
    Scenario("linkemu-20ms-mmsg", "veth", "as linkemu-20ms, LinkEmu receiving with recvmmsg (--rx mmsg)",
             links=(Link(0, 20, emu_args=("--rx", "mmsg")),), tcp_buffers_mib=32),
]
SCENARIOS += CAPACITY
MATRIX = matrix.build(Scenario)   # the real-links matrix (matrix.py): emulated links, MPTCP and MptFast variants
SCENARIOS += MATRIX

BY_NAME = {s.name: s for s in SCENARIOS}

# Named sets for --only (and --matrix).
# real-links-reference: the README's table — kernel MPTCP and MptFast with its defaults on every link set, and the
# original's style of config (static weights 5:1, reorder off) on 100+20 Mbit/s (~50 min with tcp1,tcp4).
SETS = {"real-links": [s.name for s in MATRIX], "linkemu-capacity": [s.name for s in CAPACITY],
        "real-links-reference": [s.name for s in MATRIX if s.variant in ("mptcp", "mptfast-adaptive")]
        + ["rl-100+20-0-0:mptfast-static"]}

QUICK_SCENARIOS = ["veth", "vxlan", "mptfast-1path", "mptfast-2path", "mptfast-2path-default"]

# Shaped aggregates: multipath scenario -> the single-path scenarios whose figures it should reach
# in sum (100+100 is compared with twice the 100 Mbit/s single path: both paths are shaped alike).
AGGREGATES = {
    "mptfast-2path-shaped100-100": ["mptfast-1path-shaped100", "mptfast-1path-shaped100"],
    "mptfast-2path-shaped100-20": ["mptfast-1path-shaped100", "mptfast-1path-shaped20"],
}

# Aggregation is judged where the shaped path rate is the limit: goodput of TCP and of large UDP datagrams.
# (UDP 64 B at -b 0 is limited by the iperf3 sender long before 20 Mbit/s, so its sum means nothing.)
AGGREGATE_METRICS = ["tcp1_gbps", "tcp4_gbps", "udp1400_gbps", "udp1400mmsg_gbps"]


@dataclass(frozen=True)
class Load:
    """One load type. proto 'tcp' or 'udp'; streams (-P) for TCP, payload (-l) for UDP; nbytes: the size of a
    'transfer' load (perf/lib/transfer.py: one TCP connection sends that many bytes, measured by its completion time).
    tool: 'iperf3' (loads.py), 'udpload' (perf/tools/UdpLoad, sendmmsg/recvmmsg: udpload.py) or 'transfer'."""

    name: str
    proto: str
    description: str
    streams: int = 1
    payload: int = 0
    tool: str = "iperf3"
    nbytes: int = 0


LOADS = [
    Load("tcp1", "tcp", "TCP, 1 stream", streams=1),
    Load("tcp4", "tcp", "TCP, 4 streams", streams=4),
    Load("udp64", "udp", "UDP, 64 B payload, unlimited rate (-b 0)", payload=64),
    Load("udp1400", "udp", "UDP, 1400 B payload, unlimited rate (-b 0)", payload=1400),
    # iperf3 sends one datagram per system call (~240 kpkt/s even over a bare veth here): the packet-rate
    # loads use UdpLoad, 64 datagrams per sendmmsg, received with recvmmsg — the same tool for every scenario.
    Load("udp64mmsg", "udp", "UDP, 64 B payload, UdpLoad (mmsg batches)", payload=64, tool="udpload"),
    Load("udp1400mmsg", "udp", "UDP, 1400 B payload, UdpLoad (mmsg batches)", payload=1400, tool="udpload"),
    # A web object's size: how long a short transfer takes, slow start included (what a browsing user waits for).
    Load("short256k", "tcp", "TCP, one 256 KiB upload on a new connection (perf/lib/transfer.py): the time from connect() "
         "to the receiver's answer after the last byte", nbytes=256 << 10, tool="transfer"),
]

LOAD_BY_NAME = {l.name: l for l in LOADS}

QUICK_LOADS = ["tcp1"]

# Metric name suffix -> (unit, higher is better, description). Ratios to VXLAN only for "higher is better".
METRICS = {
    "gbps": ("Gbit/s", True, "goodput received"),
    "kpps": ("kpkt/s", True, "packets received per second"),
    "retransmits": ("count", False, "TCP retransmits (sender)"),
    "loss_pct": ("%", False, "UDP datagrams lost"),
    "cpu_a_s": ("CPU s", False, "CPU seconds of the side-a daemon during the load"),
    "cpu_b_s": ("CPU s", False, "CPU seconds of the side-b daemon during the load"),
    "fraction": ("× sum", None, "goodput ÷ sum of the link rates over the measured time"),
    "rtt_p1_ms": ("ms", False, "ping RTT on path 1 under load (median)"),
    "rtt_p2_ms": ("ms", False, "ping RTT on path 2 under load (median)"),
    "share_p1": ("share", None, "share of side a's bytes sent on path 1 (interface counters)"),
    "done_ms": ("ms", False, "completion time of a fixed-size transfer (connect to the receiver's answer)"),
}


def metric_unit(metric):
    return METRICS[metric.split("_", 1)[1]][0]


def metric_is_throughput(metric):
    return METRICS[metric.split("_", 1)[1]][1]
