"""Statistics and the three result files: JSON (everything), Markdown (the table) and PNG (the plot)."""

import json
import math
import statistics

import cpuprofile as profmod
import matrixreport
from scenarios import AGGREGATE_METRICS, AGGREGATES, LOAD_BY_NAME, metric_is_throughput, metric_unit

SCHEMA = "mptfast-perf/1"


def summarize(values):
    """median/min/max of the successful runs (None values are failed runs)."""
    ok = [v for v in values if v is not None]
    if not ok:
        return {"values": values, "median": None, "min": None, "max": None}
    return {"values": values, "median": statistics.median(ok), "min": min(ok), "max": max(ok)}


def add_ratios(scenarios):
    """Ratio of every throughput median to kernel VXLAN's median of the same metric in this run."""
    vx = next((s for s in scenarios if s["name"] == "vxlan"), None)
    for s in scenarios:
        for name, m in s["metrics"].items():
            m["ratio_to_vxlan"] = None
            if vx is None or not metric_is_throughput(name) or m["median"] is None:
                continue
            ref = vx["metrics"].get(name, {}).get("median")
            if ref:
                m["ratio_to_vxlan"] = m["median"] / ref


def aggregates(scenarios):
    """Shaped multipath figure vs. the sum of the single-path figures it is made of."""
    by_name = {s["name"]: s for s in scenarios}
    out = []
    for multi, singles in AGGREGATES.items():
        if multi not in by_name or any(n not in by_name for n in singles):
            continue
        for metric, m in by_name[multi]["metrics"].items():
            if metric not in AGGREGATE_METRICS or m["median"] is None:
                continue
            parts = [by_name[n]["metrics"].get(metric, {}).get("median") for n in singles]
            if any(p is None for p in parts):
                continue
            total = sum(parts)
            out.append({
                "scenario": multi,
                "metric": metric,
                "unit": metric_unit(metric),
                "single_path_scenarios": singles,
                "sum_of_single_paths": total,
                "multipath": m["median"],
                "aggregate_ratio": m["median"] / total if total else None,
            })
    return out


# The targets (issue 7), checked against the medians of one run. Each: (text, kind, arguments, threshold).
TARGETS = [
    ("2 equal paths, TCP 1 stream ≥ 3 Gbit/s", "value", ("mptfast-2path", "tcp1_gbps"), 3.0),
    ("2 equal paths, TCP 1 stream ≥ 0.5 × VXLAN", "ratio", ("mptfast-2path", "tcp1_gbps"), 0.5),
    ("1 path, TCP 1 stream ≥ 0.6 × VXLAN", "ratio", ("mptfast-1path", "tcp1_gbps"), 0.6),
    ("shaped 100+100 Mbit/s ≥ 97 % of the single paths' sum", "aggregate", ("mptfast-2path-shaped100-100", "tcp1_gbps"), 0.97),
    ("shaped 100+20 Mbit/s (weights 5:1) ≥ 97 % of the single paths' sum", "aggregate",
     ("mptfast-2path-shaped100-20", "tcp1_gbps"), 0.97),
    ("reorder window on ≥ 0.95 × off, equal paths, TCP 1 stream", "between",
     ("mptfast-2path-reorder64", "mptfast-2path", "tcp1_gbps"), 0.95),
    ("UDP 64 B ≥ 1 Mpps through one path (UdpLoad)", "value", ("mptfast-1path", "udp64mmsg_kpps"), 1000.0),
]


def targets(result):
    """Each target with the measured figure, met or not, and by how much it is missed (threshold / measured)."""
    by_name = {s["name"]: s for s in result["scenarios"]}
    aggs = {(a["scenario"], a["metric"]): a["aggregate_ratio"] for a in result.get("aggregates", [])}

    def figure(scenario, metric, key="median"):
        return by_name.get(scenario, {}).get("metrics", {}).get(metric, {}).get(key)

    out = []
    for text, kind, args, threshold in TARGETS:
        if kind == "value":
            measured = figure(*args)
        elif kind == "ratio":
            measured = figure(*args, key="ratio_to_vxlan")
        elif kind == "aggregate":
            measured = aggs.get(args)
        else:
            on, off = figure(args[0], args[2]), figure(args[1], args[2])
            measured = on / off if on is not None and off else None
        entry = {"target": text, "kind": kind, "threshold": threshold, "measured": measured,
                 "met": None if measured is None else measured >= threshold}
        if measured:
            entry["short_by_factor"] = None if entry["met"] else threshold / measured
        out.append(entry)
    return out


def _targets_lines(result):
    rows = targets(result)
    if all(r["measured"] is None for r in rows):
        return []
    lines = ["", "Against the targets (medians of this run; a ratio target reads the figure above):", "",
             "| target | measured | |", "|---|---:|---|"]
    for r in rows:
        if r["measured"] is None:
            lines.append(f"| {r['target']} | — | not measured in this run |")
            continue
        value = _fmt(r["measured"]) if r["kind"] == "value" else f"{r['measured']:.2f}"
        verdict = "met" if r["met"] else f"**not met**: short by {r['short_by_factor']:.2f}×"
        lines.append(f"| {r['target']} | {value} | {verdict} |")
    return lines


def write_json(path, result):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2, sort_keys=False)
        f.write("\n")


def _fmt(v, unit=""):
    if v is None:
        return "—"
    if unit == "count":
        return f"{v:.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"


def _ratio(v):
    if v is None:
        return "—"
    return f"{v:.2f}" if v >= 0.1 else f"{v:.2g}"


def markdown(result):
    m = result["machine"]
    o = result["options"]
    lines = [
        f"# MptFast performance — {result['date']} on {m['hostname']}",
        "",
        f"Machine: {m['cpu_model']}, {m['cores']} cores, {m['memory_gib']:.1f} GiB RAM, "
        f"kernel {m['kernel']}, load average at start {m['loadavg_start']}.",
        f"MptFast: commit `{m['git_commit']}`{' (dirty tree)' if m['git_dirty'] else ''}, "
        f"binary `{m['mptfast_binary']}` ({m['mptfast_binary_info']}, `{m.get('mptfast_version', '?')}`); {m['iperf3']}"
        f"{'; UdpLoad `' + m['udpload'] + '`' if m.get('udpload') else ''}.",
        f"Runs per figure: {o['runs']}, load length {o['seconds']} s"
        f"{', first second of TCP loads omitted' if o['omit'] else ''}, loads {', '.join(o['loads'])}"
        f"{', MptFast with --no-offload' if o['no_offload'] else ''}{', quick mode' if o['quick'] else ''}. "
        f"Total time {result['duration_s']:.0f} s.",
        "",
        "Median, min and max of the runs; ratio = median / kernel VXLAN's median of the same metric in this run.",
        "Throughput is goodput at the receiver; UDP kpkt/s counts datagrams received; CPU s = utime+stime of",
        "one daemon over one load (both sides listed). `mmsg` loads: perf/tools/UdpLoad (sendmmsg/recvmmsg),",
        "the others iperf3.",
        "",
    ]
    lines += summary_table(result) + _targets_lines(result) + [
        "",
        "All figures:",
        "",
        "| scenario | metric | unit | median | min | max | ratio to VXLAN |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    failed = []
    for s in result["scenarios"]:
        if s["status"] != "ok":
            failed.append(s)
        for name, v in s["metrics"].items():
            unit = metric_unit(name)
            lines.append(f"| {s['name']} | {name} | {unit} | {_fmt(v['median'], unit)} | {_fmt(v['min'], unit)} | "
                         f"{_fmt(v['max'], unit)} | {_ratio(v.get('ratio_to_vxlan'))} |")
    if result["aggregates"]:
        lines += ["", "Shaped paths: multipath figure vs. the sum of the single-path figures (aggregate ratio 1.00 = "
                  "perfect aggregation).", "",
                  "| scenario | metric | sum of single paths | multipath | aggregate ratio |", "|---|---|---:|---:|---:|"]
        for a in result["aggregates"]:
            lines.append(f"| {a['scenario']} | {a['metric']} | {_fmt(a['sum_of_single_paths'])} {a['unit']} | "
                         f"{_fmt(a['multipath'])} {a['unit']} | {_ratio(a['aggregate_ratio'])} |")
    paths = [s for s in result["scenarios"] if s.get("path_share")]
    if paths:
        lines += ["", "Share of side a's transmitted bytes per path (from `mptfast status --json` at the end of the scenario):", ""]
        for s in paths:
            share = ", ".join(f"path {i}: {p:.1%}" for i, p in enumerate(s["path_share"]))
            lines.append(f"- {s['name']} (weights {':'.join(map(str, s['config']['weights']))}): {share}")
    lines += _udpload_lines(result)
    lines += matrixreport.markdown(result)
    lines += profmod.markdown([s["profile"] for s in result["scenarios"] if s.get("profile")])
    if failed:
        lines += ["", "## Scenarios that did not complete", ""]
        for s in failed:
            first = (s.get("error") or "").strip().splitlines()[:6]
            lines.append(f"- **{s['name']}** ({s['status']}): " + " / ".join(first))
            for e in s.get("run_errors", [])[:5]:
                lines.append(f"  - {e}")
    lines += ["", "Scenarios:", ""]
    for s in result["scenarios"]:
        lines.append(f"- `{s['name']}`: {s['config']['description']}")
    lines += ["", "Loads:", ""]
    for name in o["loads"]:
        lines.append(f"- `{name}`: {LOAD_BY_NAME[name].description}")
    return "\n".join(lines) + "\n"


def _nonzero_drops(status, prefix=""):
    """Every non-zero counter named *drop* (or inside a "drops" object) of a `mptfast status --json` document."""
    out = []
    if isinstance(status, dict):
        for k, v in status.items():
            name = f"{prefix}{k}"
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v and ("drop" in prefix or "drop" in k):
                out.append(f"{name} {v:g}")
            elif isinstance(v, (dict, list)):
                out += _nonzero_drops(v, name + ".")
    elif isinstance(status, list):
        for i, v in enumerate(status):
            out += _nonzero_drops(v, f"{prefix}{i}.")
    return out


def _udpload_lines(result):
    """Per UdpLoad run: sent and received, the kernel drop counters that moved; per MptFast scenario: its drops."""
    runs = [(s, u) for s in result["scenarios"] for u in s.get("udpload", [])]
    if not runs:
        return []
    lines = ["", "UdpLoad runs — datagrams sent → received, and the kernel drop counters that moved during the run "
             "(a: sender's namespace, b: receiver's; softnet: machine-wide backlog):", ""]
    for s, u in runs:
        kd = u.get("kernel_drops") or {}
        parts = [f"{side}: {k} {v}" for side in ("a", "b") for k, v in kd.get(side, {}).items()]
        if kd.get("softnet_dropped"):
            parts.append(f"softnet backlog {kd['softnet_dropped']}")
        snd, rcv = u["sender"], u["receiver"]
        lines.append(f"- {s['name']} {u['load']} run {u['run']}: sent {snd['datagrams']} ({snd['pps'] / 1e3:.0f} kpkt/s, "
                     f"sender CPU {snd['cpu_s']:.2f} s), received {rcv['datagrams']}; "
                     + ("; ".join(parts) if parts else "no kernel drop counter moved" if "kernel_drops" in u
                        else "kernel counters not recorded"))
    for s in result["scenarios"]:
        status = s.get("daemon_status")
        if s.get("udpload") and status:
            for side in ("a", "b"):
                drops = _nonzero_drops(status.get(side))
                lines.append(f"- {s['name']} daemon {side} drop counters at the end: {', '.join(drops) if drops else 'all zero'}")
    return lines


SUMMARY_COLUMNS = [("tcp1_gbps", "TCP 1 stream Gbit/s"), ("tcp4_gbps", "TCP 4 streams Gbit/s"),
                   ("udp64_kpps", "UDP 64 B kpkt/s"), ("udp1400_kpps", "UDP 1400 B kpkt/s"),
                   ("udp64mmsg_kpps", "UDP 64 B mmsg kpkt/s"), ("udp64mmsg_loss_pct", "UDP 64 B mmsg loss %"),
                   ("udp1400mmsg_kpps", "UDP 1400 B mmsg kpkt/s"), ("udp1400mmsg_loss_pct", "UDP 1400 B mmsg loss %")]


def summary_table(result):
    """One row per scenario: medians of the headline metrics, (ratio to VXLAN), and daemon CPU for TCP 1 stream."""
    cols = [(m, t) for m, t in SUMMARY_COLUMNS if any(m in s["metrics"] for s in result["scenarios"])]
    if not cols:
        return []
    out = ["Summary — median (ratio to VXLAN):", "",
           "| scenario | " + " | ".join(t for _, t in cols) + " | CPU s a+b (TCP 1) |",
           "|---|" + "---:|" * (len(cols) + 1)]
    for s in result["scenarios"]:
        cells = []
        for m, _ in cols:
            v = s["metrics"].get(m)
            if v is None or v["median"] is None:
                cells.append("—")
            else:
                r = v.get("ratio_to_vxlan")
                cells.append(_fmt(v["median"]) + ("" if r is None else f" ({_ratio(r)})"))
        a, b = s["metrics"].get("tcp1_cpu_a_s"), s["metrics"].get("tcp1_cpu_b_s")
        cpu = "—" if not a or not b or a["median"] is None or b["median"] is None else \
            f"{_fmt(a['median'])} + {_fmt(b['median'])}"
        out.append(f"| {s['name']}{'' if s['status'] == 'ok' else ' (' + s['status'] + ')'} | " + " | ".join(cells) + f" | {cpu} |")
    return out


def write_markdown(path, result):
    with open(path, "w", encoding="utf-8") as f:
        f.write(markdown(result))


def write_plot(path, result):
    """The run's plot: the real-links matrix's fractions when the run is only that, else Gbit/s per scenario (plus a
    -real-links.png beside it when the run mixes both)."""
    if matrixreport.groups(result):
        if all(s["config"].get("group") for s in result["scenarios"]):
            matrixreport.write_plot(path, result)
            return
        matrixreport.write_plot(path[:-4] + "-real-links.png", result)
    _write_throughput_plot(path, result)


def _write_throughput_plot(path, result):
    """Grouped bars per scenario: Gbit/s of every load (log scale, min–max as error bars)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401 (used through matplotlib.ticker)

    scenarios = result["scenarios"]
    loads = result["options"]["loads"]
    names = [s["name"] for s in scenarios]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(names) + 2), 4.8), dpi=110)
    width = 0.8 / max(1, len(loads))
    medians = []
    for j, load in enumerate(loads):
        xs, med, lo, hi = [], [], [], []
        for i, s in enumerate(scenarios):
            v = s["metrics"].get(f"{load}_gbps")
            if v is None or v["median"] is None or v["median"] <= 0:
                continue
            xs.append(i - 0.4 + width * (j + 0.5))
            med.append(v["median"])
            lo.append(v["median"] - v["min"])
            hi.append(v["max"] - v["median"])
        if xs:
            bars = ax.bar(xs, med, width=width, yerr=[lo, hi], capsize=2, label=LOAD_BY_NAME[load].description)
            ax.bar_label(bars, labels=[_fmt(x) for x in med], fontsize=6, padding=2)
            medians += med
    ax.set_xticks(range(len(names)))
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("Gbit/s received (median; whiskers: min–max)")
    if medians:
        # Log scale from a decade below the smallest figure: shaped paths (0.02) and veth (20) on one plot.
        ax.set_yscale("log")
        ax.set_ylim(10 ** math.floor(math.log10(min(medians) / 2)), max(medians) * 40)   # headroom: legend
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda y, _: f"{y:g}"))
        ax.legend(fontsize=7, loc="upper center", ncol=2)
        for i, s in enumerate(scenarios):
            if s["status"] == "failed":
                ax.text(i, ax.get_ylim()[0] * 1.3, "failed", ha="center", fontsize=7, color="red", rotation=90)
    else:
        ax.text(0.5, 0.5, "no throughput figures in this run", ha="center", va="center", transform=ax.transAxes)
    m = result["machine"]
    ax.set_title(f"MptFast perf {result['date']} — {m['hostname']}, {m['cores']} cores, kernel {m['kernel']}",
                 fontsize=9)
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
