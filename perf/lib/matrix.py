"""The real-links matrix (issue 13): heterogeneous emulated paths, each run with kernel MPTCP and with MptFast variants.

Rates are per direction (the Ethernet frame bytes, like tbf and netem count them), delays one way, path 1 first.
Each link's queue is LinkEmu's automatic size, max(50 ms × rate, 64 KiB), recorded with the results. Every link row
runs as one kernel MPTCP scenario (the reference, two subflows) and one scenario per MptFast variant, with the MptFast
weights in proportion to the start rates. A variant is a dict of extra config keys ('path.KEY' goes to every
[path_i] section): adding one is one line in VARIANTS.
"""

import math
from functools import reduce

from links import Link, Step
from scenarios import REAL_LINKS_MTU

# name -> (description, path 1, path 2)
LINK_SETS = [
    ("rl-10+10-1-1", "10+10 Mbit/s, 1/1 ms", Link(10, 1), Link(10, 1)),
    ("rl-10+10-1-25", "10+10 Mbit/s, 1/25 ms", Link(10, 1), Link(10, 25)),
    ("rl-15+5-1-25", "15+5 Mbit/s, 1/25 ms", Link(15, 1), Link(5, 25)),
    ("rl-15+5-25-1", "15+5 Mbit/s, 25/1 ms", Link(15, 25), Link(5, 1)),
    ("rl-dsl-lte", "DSL+LTE: 100+20 Mbit/s, 5/40 ms", Link(100, 5), Link(20, 40)),
    ("rl-100+20-0-0", "100+20 Mbit/s, no added delay (the original-style config's target)", Link(100, 0), Link(20, 0)),
    ("rl-100+100-loss", "100+100 Mbit/s, 1/1 ms, 1 % loss on path 2", Link(100, 1), Link(100, 1, loss_pct=1)),
    ("rl-50+50-jitter", "50+50 Mbit/s, 10±5 ms jitter on both (order kept)", Link(50, 10, jitter_ms=5), Link(50, 10, jitter_ms=5)),
    ("rl-200+200-2-10", "200+200 Mbit/s, 2/10 ms", Link(200, 2), Link(200, 10)),
    ("rl-step", "20+20 Mbit/s 5/5 ms, path 2 steps 20→5→20 Mbit/s every 10 s", Link(20, 5),
     Link(20, 5, steps=(Step(10, "rate 5mbit"), Step(20, "rate 20mbit"), Step(30, "rate 5mbit")))),
    ("rl-outage", "50+50 Mbit/s 5/5 ms, path 1 100 % loss from 10 to 15 s", Link(50, 5, steps=(Step(10, "loss 100%", 5),)),
     Link(50, 5)),
]

# MptFast variants: extra config keys. Weights are always in proportion to the start rates.
#   static   - an original-style config (weights, reorder_window 0, no MptFast keys): MptFast schedules it adaptively
#   weighted - the original's behaviour exactly (scheduler = weighted)
#   reorder  - an original-style config with the reorder window on
#   adaptive - MptFast's defaults: adaptive scheduler, reorder_window = auto, loss recovery, equalize_delay = auto
#   noequal  - the defaults with equalize_delay = 0 (nothing held; the default before equalize_delay = auto)
#   equalize - the defaults plus equalize_delay = 1 (delay-equalised delivery, for delay-based congestion control)
#   acks     - the defaults plus equalize_delay = acks (only the inner TCP's acknowledgements held, to the slowest path)
VARIANTS = {
    "static": {"reorder_window": 0},
    "weighted": {"reorder_window": 0, "scheduler": "weighted"},
    "reorder": {"reorder_window": 1000, "max_buffdelay_msec": 100},
    "adaptive": {"reorder_window": "auto"},
    "noequal": {"reorder_window": "auto", "equalize_delay": 0},
    "equalize": {"reorder_window": "auto", "equalize_delay": 1},
    "acks": {"reorder_window": "auto", "equalize_delay": "acks"},
}


def _window(value):
    """reorder_window as the Scenario records it (auto = the largest window)."""
    return 10000 if str(value) == "auto" else int(value)


def weights(links):
    """MptFast weight_out per path in proportion to the start rates (reduced: 15:5 -> 3:1)."""
    rates = [max(1, round(l.rate_mbit)) for l in links]
    g = reduce(math.gcd, rates)
    return tuple(r // g for r in rates)


def build(scenario):
    """The matrix as harness Scenarios (scenario: the Scenario class): per link set, MPTCP first, then each variant."""
    out = []
    for name, description, *links in LINK_SETS:
        links = tuple(links)
        paths = tuple(range(1, len(links) + 1))
        out.append(scenario(f"{name}:mptcp", "mptcp", f"{description}; kernel MPTCP, 2 subflows", paths=paths,
                            links=links, group=name, variant="mptcp"))
        for variant, keys in VARIANTS.items():
            out.append(scenario(f"{name}:mptfast-{variant}", "mptfast",
                                f"{description}; MptFast {variant} ({', '.join(f'{k}={v}' for k, v in keys.items())})",
                                paths=paths, weights=weights(links), reorder_window=_window(keys.get("reorder_window", 0)),
                                links=links, conf=tuple(keys.items()), group=name, variant=f"mptfast-{variant}",
                                tunnel_mtu=REAL_LINKS_MTU))
    return out
