"""Failover measurement (issue 14 item 4): how many pings at 100/s a path failure costs, how long the tunnel takes to
mark the path down, and how long after the link heals the path is back (status 0x00 on both sides).

For every liveness configuration (MptFast's defaults: keepalive 1 s / dead 3 s, adaptive scheduler, reorder_window =
auto; and keepalive_msec 100 / dead_time_msec 300 beside them) and every failure mode (carrier loss: the testbed's
`linkdown --mode down`, both veth ends admin-down; silent drop: `--mode drop`, nftables drops everything on the path),
each run:
  1. finds the path that carries the pings (1 s of pings, the path with most packets on both sides) and fails that one;
  2. pings b's tunnel address from a every 10 ms (`ping -O -D`) from 1 s before the failure until 2 s after recovery;
  3. fails the path, waits until both sides show it down and 1 s more, heals it, waits until both show it 0x00.
Lost pings = sequence numbers never answered (split into before and after the heal); down and back times are from the
start of the testbed's linkdown / linkup command (which itself takes tens of milliseconds) to the status change seen by
polling `mptfast status --json` (~30 ms resolution).
Not a test: figures depend on the machine's load (the results record it).
"""

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns import Daemon, HarnessError, Interrupted, start_harness, write_mptfast_config  # noqa: E402
from scenarios import TUN_ADDR, Scenario  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PING_INTERVAL_S = 0.01

CONFIGS = {
    "defaults": ("MptFast's defaults: keepalive_time 1 / dead_time 3 (as init-config writes), adaptive scheduler, "
                 "reorder_window = auto", (("reorder_window", "auto"),)),
    "100-300": ("keepalive_msec 100 / dead_time_msec 300 beside keepalive_time 1 / dead_time 3, otherwise the defaults",
                (("reorder_window", "auto"), ("path.keepalive_msec", 100), ("path.dead_time_msec", 300))),
}
MODES = {"carrier": "down", "drop": "drop"}


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="perf/failover.sh", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="runs per configuration and mode (default 3)")
    ap.add_argument("--configs", default=",".join(CONFIGS), help="liveness configurations: " + ", ".join(CONFIGS))
    ap.add_argument("--modes", default=",".join(MODES), help="failure modes: " + ", ".join(MODES))
    ap.add_argument("--mptfast", default=os.environ.get("MPTFAST_BIN", os.path.join(ROOT, "artifacts", "bin", "mptfast")))
    ap.add_argument("--prefix", default="mffail", help="namespace prefix (default mffail)")
    ap.add_argument("--out", default=os.path.join(ROOT, "perf", "results"))
    a = ap.parse_args(argv)
    a.configs = [c for c in a.configs.split(",") if c]
    a.modes = [m for m in a.modes.split(",") if m]
    for c in a.configs:
        if c not in CONFIGS:
            ap.error(f"unknown configuration '{c}'")
    for m in a.modes:
        if m not in MODES:
            ap.error(f"unknown mode '{m}'")
    if a.runs < 1:
        ap.error("--runs must be at least 1")
    return a


def path_status(daemon, index):
    s = daemon.status()
    if s is None:
        return None
    return s["connections"][0]["paths"][index]["status"]


def wait_status(daemons, index, predicate, timeout, start):
    """Polls both sides until predicate(status) holds on every side; returns the seconds from start (monotonic) per side."""
    took = {}
    while len(took) < len(daemons):
        for d in daemons:
            if d.side not in took and (st := path_status(d, index)) is not None and predicate(st):
                took[d.side] = time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise HarnessError(f"path {index}: status not reached on {sorted(set(d.side for d in daemons) - set(took))} "
                               f"within {timeout} s")
        time.sleep(0.02)
    return took


def tx_packets(daemon):
    s = daemon.status()
    return [p["tx_packets"] for p in s["connections"][0]["paths"]] if s else None


def busiest_path(tb, daemons):
    """The path index the pings take now: 1 s of pings, most packets sent on both sides."""
    before = [tx_packets(d) for d in daemons]
    tb.exec_("a", "ping", "-n", "-q", "-c", "100", "-i", str(PING_INTERVAL_S), TUN_ADDR["b"], timeout=20, check=False)
    after = [tx_packets(d) for d in daemons]
    counts = [sum(a[i] - b[i] for a, b in zip(after, before)) for i in range(len(after[0]))]
    return max(range(len(counts)), key=lambda i: counts[i]), counts


PING_REPLY = re.compile(r"icmp_seq=(\d+) ")
PING_MISSING = re.compile(r"^\[(\d+\.\d+)\] no answer yet for icmp_seq=(\d+)")


def lost_pings(output, heal_wall, tail_seqs):
    """(lost before the heal, lost after it, last sequence sent): sequence numbers never answered; the last
    tail_seqs are left out (they may still have been in flight when ping was stopped)."""
    answered, missing_at, last = set(), {}, 0
    for line in output.splitlines():
        if m := PING_MISSING.match(line):
            missing_at[int(m.group(2))] = float(m.group(1))
            last = max(last, int(m.group(2)))
        elif m := PING_REPLY.search(line):
            answered.add(int(m.group(1)))
            last = max(last, int(m.group(1)))
    lost = [s for s in range(1, last - tail_seqs + 1) if s not in answered]
    after = sum(1 for s in lost if missing_at.get(s, 0) > heal_wall)
    return len(lost) - after, after, last


def one_run(procs, tb, daemons, mode, workdir, log):
    index, counts = busiest_path(tb, daemons)
    path = index + 1
    out_path = os.path.join(workdir, "ping.txt")
    with open(out_path, "w", encoding="utf-8") as out:
        ping = procs.start(["ip", "netns", "exec", tb.ns("a"), "ping", "-n", "-O", "-D", "-i", str(PING_INTERVAL_S),
                            "-W", "1", TUN_ADDR["b"]], stdout=out, stderr=subprocess.STDOUT)
        try:
            time.sleep(1.0)
            failed = time.monotonic()
            tb.linkdown(path, MODES[mode])
            down = wait_status(daemons, index, lambda s: s != 0, timeout=20, start=failed)
            time.sleep(1.0)
            heal_wall, healed = time.time(), time.monotonic()
            tb.linkup(path)
            back = wait_status(daemons, index, lambda s: s == 0, timeout=20, start=healed)
            time.sleep(2.0)
        finally:
            procs.stop(ping, grace=3.0)
            tb.linkup(path)   # idempotent: also after a failure above
    with open(out_path, encoding="utf-8") as f:
        output = f.read()
    before, after, sent = lost_pings(output, heal_wall, tail_seqs=int(0.5 / PING_INTERVAL_S))
    r = {"path": path, "ping_packets_per_path": counts, "pings_sent": sent, "lost_before_heal": before,
         "lost_after_heal": after, "lost": before + after, "down_s": max(down.values()), "down_s_per_side": down,
         "back_s": max(back.values()), "back_s_per_side": back}
    log(f"failover:   {mode}: path {path} failed; lost {before} + {after} of {sent} pings; down after "
        f"{r['down_s']:.2f} s, back {r['back_s']:.2f} s after the heal")
    return r


def measure_config(args, procs, tb, name, workdir, log):
    description, conf = CONFIGS[name]
    sc = Scenario(f"failover-{name}", "mptfast", description, paths=(1, 2), weights=(1, 1), reorder_window=10000, conf=conf)
    tb.up()
    daemons = []
    try:
        for side in ("a", "b"):
            d = write_mptfast_config(os.path.join(workdir, name, side), side, sc)
            daemons.append(Daemon(procs, tb, side, args.mptfast, d, os.path.join(workdir, f"{name}-{side}.log"), []))
        for d in daemons:
            d.wait_ready()
        tb.wait_reachable("a", TUN_ADDR["b"])
        time.sleep(2.0)   # probes measure both paths before the first run
        results = {}
        for mode in args.modes:
            results[mode] = [one_run(procs, tb, daemons, mode, workdir, log) for _ in range(args.runs)]
        return {"description": description, "conf": dict(conf), "modes": results}
    finally:
        for d in daemons:
            d.stop()


def summary(entry):
    runs = entry
    return {k: statistics.median(r[k] for r in runs) for k in ("lost", "lost_before_heal", "lost_after_heal", "down_s", "back_s")}


def markdown(result):
    lines = [f"# Failover, {result['date']} on {result['hostname']}", "",
             f"Load average at start {result['loadavg_start']}, at the end {result['loadavg_end']}; "
             f"{result['runs']} run(s) per cell, medians (all runs in the JSON). Pings every 10 ms through the tunnel; "
             "the failed path is the one carrying them.", "",
             "| configuration | failure | lost pings (median) | lost per run | marked down after (s) | back after healing (s) |",
             "|---|---|---:|---|---:|---:|"]
    for name, c in result["configs"].items():
        for mode, runs in c["modes"].items():
            m = summary(runs)
            lines.append(f"| {name} | {mode} | {m['lost']:.0f} | {' '.join(str(r['lost']) for r in runs)} | "
                         f"{m['down_s']:.2f} | {m['back_s']:.2f} |")
    lines += ["", "Configurations:", ""] + [f"- `{n}`: {c['description']}" for n, c in result["configs"].items()]
    return "\n".join(lines) + "\n"


def main(argv):
    args = parse_args(argv)
    started = start_harness("failover", args)
    if started is None:
        return 2
    log, tb, procs = started
    result = {"date": time.strftime("%Y-%m-%d"), "hostname": socket.gethostname(), "runs": args.runs,
              "loadavg_start": " ".join(f"{x:.2f}" for x in os.getloadavg()), "configs": {}}
    code = 0
    with tempfile.TemporaryDirectory(prefix="mptfast-failover-") as workdir:
        try:
            tb.down()
            for name in args.configs:
                log(f"failover: {name}: {CONFIGS[name][0]}")
                result["configs"][name] = measure_config(args, procs, tb, name, workdir, log)
        except Interrupted as e:
            log(f"failover: interrupted ({e}); cleaning up")
            code = 130
        except HarnessError as e:
            log(f"failover: {e}")
            code = 1
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            procs.stop_all()
            tb.down()
    result["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    if result["configs"]:
        os.makedirs(args.out, exist_ok=True)
        stem = os.path.join(args.out, f"{result['date']}-{result['hostname']}-failover")
        with open(stem + ".json", "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
        text = markdown(result)
        with open(stem + ".md", "w", encoding="utf-8") as f:
            f.write(text)
        print(text)
        log(f"failover: wrote {stem}.json and .md")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
