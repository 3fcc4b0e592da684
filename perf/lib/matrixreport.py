"""The real-links matrix in the results: one table per link set (kernel MPTCP and each MptFast variant side by side),
the issue's targets checked per MptFast variant, and a plot of the goodput fractions."""

import math

from reallinks import ceiling

FRACTION_TARGET, FRACTION_STRETCH = 0.90, 0.95


def _median(s, metric):
    return s["metrics"].get(metric, {}).get("median")


def groups(result):
    """{link set: [scenario entries in run order]} for the matrix scenarios of a result."""
    out = {}
    for s in result["scenarios"]:
        group = s["config"].get("group")
        if group:
            out.setdefault(group, []).append(s)
    return out


def targets(result):
    """Per MptFast scenario: TCP 1 stream ≥ 0.90 × sum of rates (stretch 0.95), and ≥ kernel MPTCP in the same run."""
    out = []
    for group, entries in groups(result).items():
        ref = next((s for s in entries if s["config"].get("variant") == "mptcp"), None)
        ref_gbps = _median(ref, "tcp1_gbps") if ref else None
        for s in entries:
            if s["config"]["kind"] != "mptfast":
                continue
            fraction, gbps = _median(s, "tcp1_fraction"), _median(s, "tcp1_gbps")
            out.append({
                "scenario": s["name"], "group": group, "variant": s["config"]["variant"],
                "fraction": fraction, "met_0_90": None if fraction is None else fraction >= FRACTION_TARGET,
                "met_0_95": None if fraction is None else fraction >= FRACTION_STRETCH,
                "short_of_0_90": FRACTION_TARGET / fraction if fraction and fraction < FRACTION_TARGET else None,
                "mptcp_gbps": ref_gbps, "gbps": gbps,
                "vs_mptcp": gbps / ref_gbps if gbps is not None and ref_gbps else None,
            })
    return out


def _cell(v, fmt="{:.2f}"):
    return "—" if v is None else fmt.format(v)


def markdown(result):
    g = groups(result)
    if not g:
        return []
    runs, seconds = result["options"]["runs"], result["options"]["seconds"]
    mtu = next((s["config"].get("tunnel_mtu") for entries in g.values() for s in entries
                if s["config"].get("kind") == "mptfast" and s["config"].get("tunnel_mtu")), 1450)
    lines = ["", "## Real links", "",
             f"Emulated links (perf/tools/LinkEmu, rates per direction over Ethernet frame bytes, one-way delays path 1/path 2), "
             f"median of {runs} run(s) of {seconds} s. **fraction** = goodput ÷ sum of the link rates over the measured "
             "time (steps and outages counted); even one perfect TCP flow stays below 1 because the rate counts frame "
             f"bytes: about {ceiling('tcp'):.3f} for plain TCP, {ceiling('mptcp'):.3f} for MPTCP (DSS option), "
             f"{ceiling('mptfast', mtu):.3f} through MptFast (tunnel MTU {mtu}) — a little more can show because what the "
             "queues hold when the measured time starts (after the omitted first second) is delivered inside it. "
             "RTT = median ping on each path during the TCP 1-stream load; share = bytes side a sent on path 1 "
             "(interface counters); 256 KB = one 256 KiB upload on a new connection, from connect() to the receiver's "
             "answer after the last byte (a web object's wait: slow start included), median of the runs. MptFast weights ∝ rates. Load average of the machine at the start "
             f"{result['machine']['loadavg_start']}, at the end {result['machine'].get('loadavg_end', '?')}.", ""]
    for group, entries in g.items():
        cfg = entries[0]["config"]
        queues = ", ".join(f"path {p}: {q['queue_bytes'] or 'explicit'} B" for p, q in cfg.get("link_specs", {}).items())
        desc = cfg["description"].split(";")[0]
        lines += [f"**{group}** — {desc} (queues {queues})", "",
                  "| variant | TCP 1: Mbit/s | fraction | retr. | RTT p1 / p2 ms | share p1 | TCP 4: Mbit/s | fraction | retr. | 256 KB ms | vs MPTCP (TCP 1) |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        ref = next((_median(s, "tcp1_gbps") for s in entries if s["config"].get("variant") == "mptcp"), None)
        for s in entries:
            m = lambda k: _median(s, k)  # noqa: E731
            vs = "—" if s["config"]["kind"] != "mptfast" or ref in (None, 0) or m("tcp1_gbps") is None \
                else f"{m('tcp1_gbps') / ref:.2f}"
            status = "" if s["status"] == "ok" else f" ({s['status']})"
            lines.append(
                f"| {s['config']['variant']}{status} | {_cell(m('tcp1_gbps') and m('tcp1_gbps') * 1e3, '{:.1f}')} | "
                f"{_cell(m('tcp1_fraction'))} | {_cell(m('tcp1_retransmits'), '{:.0f}')} | "
                f"{_cell(m('tcp1_rtt_p1_ms'), '{:.1f}')} / {_cell(m('tcp1_rtt_p2_ms'), '{:.1f}')} | {_cell(m('tcp1_share_p1'))} | "
                f"{_cell(m('tcp4_gbps') and m('tcp4_gbps') * 1e3, '{:.1f}')} | {_cell(m('tcp4_fraction'))} | "
                f"{_cell(m('tcp4_retransmits'), '{:.0f}')} | {_cell(m('short256k_done_ms'), '{:.0f}')} | {vs} |")
        lines.append("")
    rows = targets(result)
    if rows:
        lines += ["Against the targets (TCP 1 stream, medians; \"short by\" = threshold ÷ measured):", "",
                  "| scenario | ≥ 0.90 × sum | ≥ 0.95 (stretch) | ≥ kernel MPTCP |", "|---|---|---|---|"]
        for r in rows:
            f = r["fraction"]
            t90 = "—" if f is None else f"{f:.2f} met" if r["met_0_90"] else f"{f:.2f} **not met**, short by {r['short_of_0_90']:.2f}×"
            t95 = "—" if f is None else "met" if r["met_0_95"] else f"short by {FRACTION_STRETCH / f:.2f}×" if f else "—"
            vs = r["vs_mptcp"]
            tm = "—" if vs is None else f"{vs:.2f}× met" if vs >= 1 else f"{vs:.2f}× **not met**, short by {1 / vs:.2f}×"
            lines.append(f"| {r['scenario']} | {t90} | {t95} | {tm} |")
    return lines


def write_plot(path, result):
    """Grouped bars: TCP 1-stream fraction of the link rates per link set, one bar per variant; target lines."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = groups(result)
    variants = list(dict.fromkeys(s["config"]["variant"] for entries in g.values() for s in entries))
    fig, ax = plt.subplots(figsize=(max(7.0, 1.0 * len(g) + 2), 4.8), dpi=110)
    width = 0.8 / max(1, len(variants))
    for j, variant in enumerate(variants):
        xs, med, lo, hi = [], [], [], []
        for i, entries in enumerate(g.values()):
            s = next((e for e in entries if e["config"]["variant"] == variant), None)
            v = s["metrics"].get("tcp1_fraction") if s else None
            if not v or v["median"] is None:
                continue
            xs.append(i - 0.4 + width * (j + 0.5))
            med.append(v["median"])
            lo.append(v["median"] - v["min"])
            hi.append(v["max"] - v["median"])
        if xs:
            bars = ax.bar(xs, med, width=width, yerr=[lo, hi], capsize=2, label=variant)
            ax.bar_label(bars, labels=[f"{x:.2f}" for x in med], fontsize=5, padding=1)
    ax.axhline(FRACTION_TARGET, color="red", lw=0.8, ls="--", label="target 0.90")
    ax.axhline(FRACTION_STRETCH, color="green", lw=0.8, ls=":", label="stretch 0.95")
    ax.set_xticks(range(len(g)))
    ax.set_xticklabels(list(g), rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, max(1.15, math.ceil(ax.get_ylim()[1] * 10) / 10))
    ax.set_ylabel("TCP 1 stream goodput ÷ sum of link rates (median, min–max)")
    m = result["machine"]
    ax.set_title(f"MptFast real links {result['date']} — {m['hostname']}, load avg {m['loadavg_start']}", fontsize=9)
    ax.legend(fontsize=7, ncol=3, loc="upper right")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
