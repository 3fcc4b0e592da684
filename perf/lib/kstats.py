"""Kernel drop counters around one load: where datagrams were lost when the tunnel's own counters show none.

Per namespace: every error/drop/discard counter of /proc/net/snmp and /proc/net/netstat (both per network
namespace: UDP RcvbufErrors, IP InDiscards, ...), every
link's rx/tx dropped (`ip -s -j link`: a TUN device counts here what its reader did not take in time), and every
qdisc's drops (`tc -s -j qdisc`). Machine-wide: the softnet backlog drops (/proc/net/softnet_stat, column 2,
netdev_max_backlog exceeded). Only counters that moved during the load are kept.
"""

import json
import re

from netns import run

# Counter names that say a packet was lost or refused (UDP NoPorts: nobody listening on the port).
LOSS = re.compile(r"Err|Drop|Discard|Overflow|Prune|Fail|NoPorts", re.IGNORECASE)


def _mib(tb, side):
    """Loss counters of /proc/net/snmp and /proc/net/netstat: "Proto: names" lines followed by "Proto: values"."""
    out = {}
    text = tb.exec_(side, "cat", "/proc/net/snmp", "/proc/net/netstat", timeout=10, check=False).stdout
    lines = [l.split() for l in text.splitlines() if l.strip()]
    for names, values in zip(lines[::2], lines[1::2]):
        proto = names[0].rstrip(":")
        if proto.startswith("Tcp") or proto != values[0].rstrip(":"):
            continue
        for name, value in zip(names[1:], values[1:]):
            if LOSS.search(name) and value.lstrip("-").isdigit():
                out[f"{proto}.{name}"] = int(value)
    return out


def _links(tb, side):
    out = {}
    r = run(["ip", "-n", tb.ns(side), "-s", "-j", "link", "show"], timeout=10, check=False)
    try:
        for link in json.loads(r.stdout or "[]"):
            stats = link.get("stats64", {})
            out[f"{link['ifname']}_rx_dropped"] = stats.get("rx", {}).get("dropped", 0)
            out[f"{link['ifname']}_tx_dropped"] = stats.get("tx", {}).get("dropped", 0)
    except (ValueError, KeyError, TypeError):
        pass
    r = run(["tc", "-n", tb.ns(side), "-s", "-j", "qdisc", "show"], timeout=10, check=False)
    try:
        for q in json.loads(r.stdout or "[]"):
            out[f"{q['dev']}_qdisc_{q.get('kind', '?')}_drops"] = q.get("drops", 0)
    except (ValueError, KeyError, TypeError):
        pass
    return out


def _softnet():
    try:
        with open("/proc/net/softnet_stat", encoding="ascii") as f:
            return sum(int(line.split()[1], 16) for line in f if line.strip())
    except (OSError, ValueError, IndexError):
        return 0


def snapshot(tb):
    return {"a": {**_mib(tb, "a"), **_links(tb, "a")}, "b": {**_mib(tb, "b"), **_links(tb, "b")},
            "softnet_dropped": _softnet()}


def delta(before, after):
    """Counters that grew between two snapshots: {"a": {...}, "b": {...}, "softnet_dropped": n}."""
    out = {}
    for side in ("a", "b"):
        moved = {k: v - before[side].get(k, 0) for k, v in after[side].items() if v - before[side].get(k, 0) > 0}
        if moved:
            out[side] = moved
    if after["softnet_dropped"] > before["softnet_dropped"]:
        out["softnet_dropped"] = after["softnet_dropped"] - before["softnet_dropped"]
    return out
