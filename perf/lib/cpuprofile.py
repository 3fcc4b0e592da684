"""System-wide CPU profile of one load with `perf record` (perf/run.sh --profile).

The profiled run is an extra run of the scenario's first load: its figures are kept apart (sampling slows
everything down a little) and never enter the medians. `perf report` is read while the binaries are still the
ones that ran, so the NativeAOT daemon's symbols resolve (its .dbg file sits beside it).
"""

import os
import shutil
import subprocess
import threading

from netns import HarnessError

# Symbol groups for the breakdown; a sample counts in the first group whose test matches.
CATEGORIES = [
    ("idle", lambda comm, dso, sym: comm == "swapper" or sym in ("pv_native_safe_halt", "default_idle",
                                                                  "acpi_safe_halt", "cpuidle_enter_state")),
    ("kernel copies to/from user memory", lambda comm, dso, sym: sym in (
        "_copy_from_iter", "_copy_to_iter", "copy_user_generic", "rep_movs_alternative", "_copy_from_user",
        "_copy_to_user", "copy_page_from_iter", "copy_page_to_iter", "__check_object_size", "__virt_addr_valid")),
    ("scheduler and wake-ups", lambda comm, dso, sym: sym in (
        "finish_task_switch.isra.0", "_raw_spin_unlock_irqrestore", "__schedule", "try_to_wake_up", "schedule",
        "pick_next_task_fair", "update_curr", "dequeue_entity", "enqueue_entity")),
    ("MptFast user space: checksums", lambda comm, dso, sym: dso == "mptfast" and "InternetChecksum" in sym),
    ("MptFast user space: memory copies", lambda comm, dso, sym: dso == "mptfast" and "Memmove" in sym),
    ("MptFast user space: other", lambda comm, dso, sym: dso == "mptfast"),
    ("iperf3 / UdpLoad user space", lambda comm, dso, sym: comm in ("iperf3", "UdpLoad", "dotnet")
                                                            and not dso.startswith("[kernel")),
    ("kernel: everything else", lambda comm, dso, sym: dso.startswith("[kernel")),
    ("other user space", lambda comm, dso, sym: True),
]


def available():
    """None when perf can record here, else the reason."""
    if shutil.which("perf") is None:
        return "perf is not installed (apt-get install linux-perf)"
    return None


class Recorder:
    """perf record -a -g for `seconds`, started after `delay` seconds (so the load is under way)."""

    def __init__(self, procs, data_file, seconds, delay=1.0):
        self._procs, self._data, self._seconds, self._delay = procs, data_file, seconds, delay
        self._proc = None
        self._timer = None
        self.error = None

    def start(self):
        self._timer = threading.Timer(self._delay, self._launch)
        self._timer.start()

    def _launch(self):
        try:
            self._proc = self._procs.start(["perf", "record", "-a", "-g", "-F", "999", "-q", "-o", self._data,
                                            "--", "sleep", str(self._seconds)])
        except OSError as e:
            self.error = str(e)

    def wait(self):
        self._timer.join()
        if self._proc is None:
            raise HarnessError(f"perf record did not start: {self.error}")
        try:
            self._proc.wait(self._seconds + 30)
        except subprocess.TimeoutExpired as e:
            self._procs.stop(self._proc, grace=5.0)
            raise HarnessError("perf record did not finish") from e
        self._procs.stop(self._proc)
        if self._proc.returncode not in (0, None) or not os.path.exists(self._data):
            raise HarnessError(f"perf record exited {self._proc.returncode}")


def _report(data_file, sort):
    out = subprocess.run(["perf", "report", "-i", data_file, "--no-children", "--sort", sort, "-q", "-g", "none",
                          "--percent-limit", "0.05", "-t", "\t"],
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    if out.returncode != 0:
        raise HarnessError(f"perf report failed: {out.stderr.decode(errors='replace').strip()[:300]}")
    rows = []
    for line in out.stdout.decode(errors="replace").splitlines():
        cols = [c.strip() for c in line.split("\t")]
        if len(cols) < 2 or not cols[0].endswith("%"):
            continue
        try:
            pct = float(cols[0].rstrip("%"))
        except ValueError:
            continue
        rows.append((pct, cols[1:]))
    return rows


def _clean_symbol(sym):
    # "[k] _copy_from_iter" / "[.] MptFast_Engine_MptFast_Engine_Wire_InternetChecksum__SumNativeVector256"
    sym = sym.split("] ", 1)[1] if sym.startswith("[") and "] " in sym else sym
    return sym.replace("MptFast_Engine_MptFast_Engine_", "").replace("S_P_CoreLib_System_", "System.")


def summarize(data_file, top=20):
    """Shares (percent of all samples on all CPUs) per thread, per category and for the top symbols."""
    by_comm = [{"thread": cols[0], "percent": pct} for pct, cols in _report(data_file, "comm")]
    symbols = []
    categories = {name: 0.0 for name, _ in CATEGORIES}
    for pct, cols in _report(data_file, "comm,dso,sym"):
        if len(cols) < 3:
            continue
        comm, dso, sym = cols[0], cols[1], _clean_symbol(cols[2])
        symbols.append({"thread": comm, "dso": dso, "symbol": sym, "percent": pct})
        for name, test in CATEGORIES:
            if test(comm, dso, sym):
                categories[name] += pct
                break
    return {
        "threads": by_comm[:12],
        "categories": [{"category": k, "percent": round(v, 2)} for k, v in categories.items() if v > 0],
        "top_symbols": symbols[:top],
    }


def markdown(profiles):
    lines = []
    for p in profiles:
        lines += ["", f"## Profile: {p['scenario']}, {p['load']}", ""]
        if p.get("error"):
            lines.append(f"Not profiled: {p['error']}")
            continue
        fig = ", ".join(f"{k} {v:.3g}" for k, v in sorted(p.get("metrics", {}).items()))
        lines += [f"`perf record -a -g -F 999` over {p['seconds']} s of an extra run (not counted in the figures above; "
                  f"under sampling it measured {fig or 'nothing'}). Percent of all samples on all {p['cores']} CPUs.", "",
                  "| where the CPU time went | % |", "|---|---:|"]
        lines += [f"| {c['category']} | {c['percent']:.1f} |" for c in p["categories"]]
        lines += ["", "| thread | % |", "|---|---:|"]
        lines += [f"| {t['thread']} | {t['percent']:.1f} |" for t in p["threads"]]
        lines += ["", "| thread | object | symbol | % |", "|---|---|---|---:|"]
        lines += [f"| {s['thread']} | {s['dso']} | `{s['symbol']}` | {s['percent']:.2f} |" for s in p["top_symbols"]]
    return lines
