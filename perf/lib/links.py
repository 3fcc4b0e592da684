"""An emulated link as the harness describes it: rates, delays, loss, and timed steps, rendered as LinkEmu spec words
(perf/tools/LinkEmu/README.md). Pure data: the scenarios import it without the topology code."""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """A timed change on a link: at `at_s` seconds after the load starts, `spec` (LinkEmu words), for `for_s` seconds (0 = stays)."""

    at_s: float
    spec: str
    for_s: float = 0.0

    def line(self):
        return f"at {self.at_s:g}s {self.spec}" + (f" for {self.for_s:g}s" if self.for_s else "")


@dataclass(frozen=True)
class Link:
    """One emulated path, the same in both directions: rate (Mbit/s, 0 = unlimited), one-way delay and jitter (ms),
    loss (%), reorder (jitter may reorder), queue (LinkEmu words, default auto = max(50 ms × rate, 64 KiB)), steps."""

    rate_mbit: float = 0
    delay_ms: float = 0
    jitter_ms: float = 0
    loss_pct: float = 0
    reorder: bool = False
    queue: str = "auto"
    steps: tuple = ()
    emu_args: tuple = ()   # further LinkEmu options, e.g. ("--rx", "mmsg")

    def spec(self):
        words = [f"rate {self.rate_mbit:g}mbit" if self.rate_mbit else "rate 0", f"delay {self.delay_ms:g}ms",
                 f"jitter {self.jitter_ms:g}ms", f"order {'reorder' if self.reorder else 'keep'}",
                 f"loss {self.loss_pct:g}%", f"queue {self.queue}"]
        return " ".join(words)

    def describe(self):
        text = f"{self.rate_mbit:g} Mbit/s" if self.rate_mbit else "unlimited"
        text += f" {self.delay_ms:g}" + (f"±{self.jitter_ms:g}" if self.jitter_ms else "") + " ms"
        if self.loss_pct:
            text += f" {self.loss_pct:g} % loss"
        return text + "".join(f", {s.line()}" for s in self.steps)

    def queue_bytes(self, rate_mbit=None):
        """The tail-drop limit LinkEmu uses for this link at rate_mbit (default: its start rate)."""
        rate = self.rate_mbit if rate_mbit is None else rate_mbit
        if self.queue != "auto":
            return None
        return max(int(rate * 1e6 / 8 * 0.050), 64 * 1024)

    def mean_capacity_mbit(self, t0, t1, samples=2000):
        """Average usable rate over [t0, t1] seconds after the load starts: the steps' rates, 0 while loss is 100 %."""
        total = 0.0
        for k in range(samples):
            t = t0 + (t1 - t0) * (k + 0.5) / samples
            rate, loss = self.rate_mbit, self.loss_pct
            for s in sorted(self.steps, key=lambda s: s.at_s):
                if s.at_s <= t and (not s.for_s or t < s.at_s + s.for_s):
                    m = re.search(r"rate (\d+(?:\.\d+)?)mbit", s.spec)
                    rate = float(m.group(1)) if m else rate
                    m = re.search(r"loss (\d+(?:\.\d+)?)%", s.spec)
                    loss = float(m.group(1)) if m else loss
            total += 0.0 if loss >= 100 else rate
        return total / samples
