"""Soak and flap (issue 14 item 5): a 2-path tunnel under traffic for N minutes while one path flaps, the daemons
reload, and a hostile sender mutates datagrams at both ports of both daemons. Checks at the end, each a failure when
it does not hold:

  - every TCP transfer (a -> b and b -> a, one after the other for the whole run) arrived byte-exact (SHA-256);
  - the UDP stream (a -> b, sequence-numbered datagrams whose payload derives from the number) has no damaged and no
    duplicated datagram (lost ones are counted, not a failure: path 2 fails silently every 4 s);
  - both daemons are alive and answer `status --json`, and every reload was taken;
  - RSS and open file descriptors of each daemon are flat: the peak of the last window is at most 5 % above the
    peak of the first half of the measured time (window: 1 minute, or a quarter of the run when shorter than 4
    minutes; peaks because a reload frees the buffer pools and the traffic touches them again, a dip of some
    seconds). The reference is the first half, not the first window: RSS ramps for about 10 minutes under this
    load (pool pages touched for the first time, the GC heap reaching its working set; the 60-minute soak of
    2026-12-05 measured 29.5 MB in its first minute, 32.9 by minute 10, 32.8 in its last) and a plateau must not
    fail; memory that keeps growing at a constant rate shows as half the run's growth between the two. The peaks of
    each tenth of the run are recorded too, to show the curve;
  - drops are counted: every datagram a path socket received is accounted for by a counter (data packets, keepalives
    and probes, or a drop reason), the hostile datagrams show up as drops or control rejections, and no datagram was
    lost uncounted in the kernel's receive buffer (UDP RcvbufErrors of the namespace).

Timeline: path 2 is down 1 s / up 1 s, the failure alternating between carrier loss (both veth ends admin-down) and
silent drop (nftables); every 30 s a reload (SIGHUP to a, `mptfast reload` over the control socket to b). Both paths
are shaped with tbf (default 50 Mbit/s each) so the load is bounded and the flapping path matters. Liveness
keepalive_msec 100 / dead_time_msec 300 (so that a 1-s silent failure is detected), SHA-256 control authentication.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns import (COMMAND_PORT, DATA_PORT, Daemon, HarnessError, Interrupted, run, start_harness,  # noqa: E402
                   write_mptfast_config)
from scenarios import TUN_ADDR, Scenario  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SCRIPTS = os.path.join(ROOT, "tests", "Integration.Tests", "scripts")
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
FLAP_PATH = 2
RELOAD_EVERY_S = 30.0
SAMPLE_EVERY_S = 5.0
STATUS_EVERY_SAMPLES = 6   # the daemons' own memory figures every 30 s
FLAT_LIMIT = 0.05
TCP_PORTS = {"a": 5001, "b": 5002}   # receiver side -> port
UDP_PORT = 5003


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="scripts/soak.sh", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=1.0, help="duration of the measured load (default 1)")
    ap.add_argument("--warmup", type=float, default=30.0,
                    help="seconds of the same load before the measured minutes: buffer pools are touched and the heap "
                         "reaches its working size (default 30)")
    ap.add_argument("--rate", type=int, default=50, help="tbf rate of each path in Mbit/s (default 50)")
    ap.add_argument("--tcp-bytes", type=int, default=20_000_000, help="bytes per TCP transfer (default 20 MB)")
    ap.add_argument("--udp-pps", type=int, default=1000, help="UDP datagrams per second (default 1000)")
    ap.add_argument("--hostile-pps", type=int, default=200, help="mutated datagrams per second at each daemon (default 200)")
    ap.add_argument("--mptfast", default=os.environ.get("MPTFAST_BIN", os.path.join(ROOT, "artifacts", "bin", "mptfast")))
    ap.add_argument("--prefix", default="mfsoak", help="namespace prefix (default mfsoak)")
    ap.add_argument("--out", default=None, help="directory for the JSON and Markdown results (default: none written)")
    a = ap.parse_args(argv)
    if a.minutes <= 0 or a.minutes > 24 * 60:
        ap.error("--minutes must be in (0, 1440]")
    if a.rate < 1:
        ap.error("--rate must be at least 1")
    return a


class Stop:
    """The shared stop flag and the failures the workers found."""

    def __init__(self, deadline):
        self.deadline = deadline
        self.event = threading.Event()
        self.errors = []
        self.lock = threading.Lock()

    def running(self):
        return not self.event.is_set() and time.monotonic() < self.deadline

    def fail(self, msg):
        with self.lock:
            self.errors.append(msg)


def tcp_loop(tb, sender, receiver, nbytes, stop, results, log):
    """One byte-exact TCP transfer after another from sender to receiver's tunnel address until the deadline."""
    port = str(TCP_PORTS[receiver])
    addr = TUN_ADDR[receiver]
    script = os.path.join(SCRIPTS, "sha_transfer.py")
    while stop.running():
        recv = subprocess.Popen(["ip", "netns", "exec", tb.ns(receiver), PY, script, "recv", addr, port, "60"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        try:
            recv.stderr.readline()   # "listening"
            s = run(["ip", "netns", "exec", tb.ns(sender), PY, script, "send", addr, port, str(nbytes),
                     str(len(results) + 1), "120"], timeout=150, check=False)
            out, err = recv.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            recv.kill()
            recv.wait()
            stop.fail(f"tcp {sender}->{receiver}: transfer {len(results) + 1} did not finish")
            return
        ok = s.returncode == 0 and recv.returncode == 0 and s.stdout.strip() == out.strip() and out.strip()
        results.append({"sent": s.stdout.strip(), "received": out.strip(), "ok": bool(ok)})
        if not ok:
            stop.fail(f"tcp {sender}->{receiver} transfer {len(results)}: sent '{s.stdout.strip()}' "
                      f"received '{out.strip()}' ({(s.stderr + err).strip()[-300:]})")
            log(f"soak: TCP {sender}->{receiver} transfer {len(results)} FAILED")


def flap_loop(tb, stop, flaps, log):
    mode = 0
    while stop.running():
        kind = ("down", "drop")[mode % 2]
        tb.linkdown(FLAP_PATH, kind)
        flaps.append(kind)
        stop.event.wait(1.0)
        tb.linkup(FLAP_PATH)
        mode += 1
        stop.event.wait(1.0)


def reload_loop(tb, daemons, binary, stop, reloads, log):
    n = 0
    while not stop.event.wait(RELOAD_EVERY_S) and stop.running():
        d = daemons[n % 2]
        if d.side == "a":
            os.kill(d.pid, signal.SIGHUP)
            how = "SIGHUP"
        else:
            r = tb.exec_(d.side, binary, "--socket", os.path.join(d.confdir, "control.sock"), "reload", timeout=30, check=False)
            how = f"mptfast reload (exit {r.returncode})"
            if r.returncode != 0:
                stop.fail(f"reload of {d.side}: {how}: {(r.stdout + r.stderr).strip()}")
        reloads.append({"t": round(time.monotonic(), 1), "side": d.side, "how": how})
        n += 1


def fd_kinds(pid):
    """Open descriptors by kind (socket, anon_inode:[eventfd], /dev/net/tun, pipe...)."""
    kinds = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        kind = target.split(":[")[0] if target.startswith(("socket:", "pipe:")) else target
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def proc_sample(daemon, with_status):
    pid = daemon.pid
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    # RssAnon: the part a leak would grow (the rest is the mapped binary and libraries, shared).
    row = {"rss_kib": int(fields["VmRSS"].split()[0]), "anon_kib": int(fields["RssAnon"].split()[0]),
           "fds": len(os.listdir(f"/proc/{pid}/fd")), "threads": int(fields["Threads"])}
    status = daemon.status() if with_status else None   # a status costs the daemon ~50 KiB of garbage: not every sample
    memory = (status or {}).get("tunnel", {}).get("memory")
    if memory:
        row.update({"allocated_bytes": memory["allocated_bytes"], "gc_heap_bytes": memory["gc_heap_bytes"],
                    "gc": [memory["gc_gen0"], memory["gc_gen1"], memory["gc_gen2"]]})
    return row


def sample_loop(daemons, start, stop, samples, fds):
    while True:
        t = time.monotonic() - start
        row = {"t": round(t, 1)}
        with_status = len(samples) % STATUS_EVERY_SAMPLES == 0
        for d in daemons:
            try:
                row[d.side] = proc_sample(d, with_status)
                fds.setdefault("first", {}).setdefault(d.side, fd_kinds(d.pid))
                fds.setdefault("last", {})[d.side] = fd_kinds(d.pid)
            except (OSError, KeyError, ValueError):
                row[d.side] = None
        samples.append(row)
        if stop.event.wait(SAMPLE_EVERY_S) or not stop.running():
            return


def flatness(samples, side, key, window, warmup):
    """(first-half peak, last-window peak, relative change, peaks of each tenth, first-window peak) over the samples
    after warm-up; the first window is reported beside the judged first-half comparison.
    Peaks: a reload frees the buffer pools and the traffic touches them again over some seconds (RSS dips and climbs
    back to the same plateau); a leak raises the plateau. The managed heap saws by its gen0 budget (1 MiB, src/Host)
    under it."""
    rows = [s for s in samples if s["t"] >= warmup and s.get(side)]
    if len(rows) < 4:
        return None
    t0, t1 = rows[0]["t"], rows[-1]["t"]
    first = [r[side][key] for r in rows if r["t"] <= (t0 + t1) / 2]
    last = [r[side][key] for r in rows if r["t"] >= t1 - window]
    tenths = [max((r[side][key] for r in rows if t0 + i * (t1 - t0) / 10 <= r["t"] <= t0 + (i + 1) * (t1 - t0) / 10),
                  default=None) for i in range(10)]
    a, b = max(first), max(last)
    w = max(r[side][key] for r in rows if r["t"] <= t0 + window)   # the first window: reported, not judged
    return a, b, (b - a) / a if a else 0.0, tenths, w


def udp_rcvbuf_errors(tb, side):
    """UDP receive-buffer drops of side's namespace (nstat: Udp RcvbufErrors + Udp6), None when unreadable."""
    r = tb.exec_(side, "cat", "/proc/net/snmp", "/proc/net/snmp6", check=False)
    total, header = 0, None
    for line in r.stdout.splitlines():
        if line.startswith("Udp:"):
            parts = line.split()[1:]
            if header is None:
                header = parts
            else:
                total += int(dict(zip(header, parts)).get("RcvbufErrors", 0))
                header = None
        elif line.startswith("Udp6RcvbufErrors"):
            total += int(line.split()[1])
    return total


def accounting(status):
    """Per path: datagrams the socket received and what the counters account for them by (data, keepalives, drops)."""
    rows = []
    for c in status["connections"]:
        for p in c["paths"]:
            sock = p.get("socket", {})
            # Receive drop reasons; a keepalive naming another tunnel pair is a keepalive too (counted in both, B32).
            d = p.get("drops", {})
            drops = sum(v for k, v in d.items() if k not in ("send_errors", "keepalive_send_errors", "keepalive_mismatch"))
            rows.append({"connection": c["name"], "path": p["index"], "received": sock.get("received"),
                         "rx_packets": p["rx_packets"], "keepalives_received": p["keepalives_received"],
                         "receive_drops": drops, "drops": p.get("drops", {})})
    return rows


def soak(args, procs, tb, workdir, log):
    conf = (("reorder_window", "auto"), ("auth_type", 2), ("path.keepalive_msec", 100), ("path.dead_time_msec", 300))
    sc = Scenario("soak", "mptfast", "soak", paths=(1, 2), weights=(1, 1), reorder_window=10000, conf=conf)
    tb.up()
    for path in (1, 2):
        tb.shape(path, args.rate)
    daemons = []
    for side in ("a", "b"):
        d = write_mptfast_config(os.path.join(workdir, side), side, sc)
        daemons.append(Daemon(procs, tb, side, args.mptfast, d, os.path.join(workdir, f"{side}.log"), []))
    for d in daemons:
        d.wait_ready()
    tb.wait_reachable("a", TUN_ADDR["b"])
    tb.wait_reachable("b", TUN_ADDR["a"])
    rcvbuf0 = {s: udp_rcvbuf_errors(tb, s) for s in ("a", "b")}
    before = {d.side: d.status() for d in daemons}

    measured = args.minutes * 60.0
    seconds = args.warmup + measured
    start = time.monotonic()
    stop = Stop(start + seconds)
    tcp = {"a->b": [], "b->a": []}
    flaps, reloads, samples, fds = [], [], [], {}

    udp_recv = procs.start(["ip", "netns", "exec", tb.ns("b"), PY, os.path.join(SCRIPTS, "udp_integrity.py"), "recv",
                            TUN_ADDR["b"], str(UDP_PORT), "15", str(seconds + 60)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    udp_recv.stderr.readline()
    udp_send = procs.start(["ip", "netns", "exec", tb.ns("a"), PY, os.path.join(SCRIPTS, "udp_integrity.py"), "send",
                            TUN_ADDR["b"], str(UDP_PORT), str(seconds), str(args.udp_pps), "7"], stdout=subprocess.PIPE)
    shared = os.environ.get("MPTFAST_SHARED", os.path.join(ROOT, "..", "shared"))
    vectors = os.path.join(shared, "testvectors")
    hostile = {}
    for target, src, dst in (("a", "198.18.1.2", "198.18.1.1"), ("b", "198.18.1.1", "198.18.1.2")):
        sender_ns = tb.ns("b" if target == "a" else "a")
        hostile[target] = procs.start(["ip", "netns", "exec", sender_ns, PY, os.path.join(os.path.dirname(__file__), "hostile.py"),
                                       src, dst, str(DATA_PORT), str(COMMAND_PORT), str(seconds), str(args.hostile_pps),
                                       str(11 if target == "a" else 13), vectors], stdout=subprocess.PIPE)
    threads = [
        threading.Thread(target=tcp_loop, args=(tb, "a", "b", args.tcp_bytes, stop, tcp["a->b"], log), daemon=True),
        threading.Thread(target=tcp_loop, args=(tb, "b", "a", args.tcp_bytes, stop, tcp["b->a"], log), daemon=True),
        threading.Thread(target=flap_loop, args=(tb, stop, flaps, log), daemon=True),
        threading.Thread(target=reload_loop, args=(tb, daemons, args.mptfast, stop, reloads, log), daemon=True),
        threading.Thread(target=sample_loop, args=(daemons, start, stop, samples, fds), daemon=True),
    ]
    for t in threads:
        t.start()
    last_log = start
    while time.monotonic() < stop.deadline and not stop.errors:
        time.sleep(1.0)
        if any(d.proc.poll() is not None for d in daemons):
            stop.fail("a daemon exited during the soak: " + "; ".join(f"{d.side}: {d.proc.poll()}" for d in daemons))
            break
        if time.monotonic() - last_log >= 60:
            last_log = time.monotonic()
            s = samples[-1] if samples else {}
            log(f"soak: {int(last_log - start)} s: TCP {len(tcp['a->b'])}+{len(tcp['b->a'])} transfers, {len(flaps)} flaps, "
                f"{len(reloads)} reloads; RSS a {s.get('a', {}).get('rss_kib')} KiB b {s.get('b', {}).get('rss_kib')} KiB")
    stop.event.set()
    for t in threads:
        t.join(timeout=200)
    tb.linkup(FLAP_PATH)
    hostile_sent = {}
    for target, p in hostile.items():
        out, _ = p.communicate(timeout=60)
        hostile_sent[target] = json.loads(out.decode() or "{}")
    udp_sent = json.loads(udp_send.communicate(timeout=60)[0].decode() or "{}")
    udp_got = json.loads(udp_recv.communicate(timeout=90)[0].decode() or "{}")
    time.sleep(2.0)   # the last keepalives and probes in flight are counted
    after = {d.side: d.status() for d in daemons}
    alive = {d.side: d.proc.poll() is None and after[d.side] is not None for d in daemons}
    rcvbuf = {s: udp_rcvbuf_errors(tb, s) - rcvbuf0[s] for s in ("a", "b")}
    logs = {}
    for d in daemons:
        with open(d.logpath, encoding="utf-8", errors="replace") as f:
            logs[d.side] = f.read()
    codes = {d.side: d.stop() for d in daemons}

    window = 60.0 if measured >= 240 else measured / 4
    flat = {}
    for side in ("a", "b"):
        for key in ("rss_kib", "fds"):
            flat[f"{side}.{key}"] = flatness(samples, side, key, window, args.warmup)
    alloc = {}
    for side in ("a", "b"):
        rows = [s[side] for s in samples if s["t"] >= args.warmup and s.get(side) and "allocated_bytes" in s[side]]
        rows_t = [s["t"] for s in samples if s["t"] >= args.warmup and s.get(side) and "allocated_bytes" in s[side]]
        if len(rows) >= 2:
            span = rows_t[-1] - rows_t[0]
            alloc[side] = {"bytes_per_s": round((rows[-1]["allocated_bytes"] - rows[0]["allocated_bytes"]) / span),
                           "gc_during": [b - a for a, b in zip(rows[0]["gc"], rows[-1]["gc"])],
                           "gc_heap_bytes_last": rows[-1]["gc_heap_bytes"]}

    result = {"seconds": measured, "warmup_s": args.warmup, "allocation": alloc, "fd_kinds": fds, "rate_mbit": args.rate, "tcp_bytes": args.tcp_bytes, "udp_pps": args.udp_pps,
              "hostile_pps": args.hostile_pps, "flap_path": FLAP_PATH, "flaps": len(flaps),
              "flaps_carrier": flaps.count("down"), "flaps_drop": flaps.count("drop"), "reloads": reloads,
              "tcp": {k: {"transfers": len(v), "ok": sum(1 for r in v if r["ok"]), "bytes": sum(int(r["sent"].split()[0]) for r in v if r["ok"])}
                      for k, v in tcp.items()},
              "udp": {"sent": udp_sent, "received": udp_got}, "hostile_sent": hostile_sent, "alive": alive,
              "exit_codes": codes, "udp_rcvbuf_errors": rcvbuf, "flat_window_s": window,
              "flat": {k: (None if v is None else {"first_half": round(v[0], 1), "last": round(v[1], 1), "change": round(v[2], 4),
                                                  "tenths": v[3], "first_window": v[4]})
                       for k, v in flat.items()},
              "samples": samples, "accounting": {s: accounting(after[s]) if after[s] else None for s in after},
              "control_rejected": {s: (after[s] or {}).get("control", {}).get("rejected", {}) for s in after},
              "status_before": before, "status_after": after}

    # The checks.
    errors = list(stop.errors)
    for k, v in result["tcp"].items():
        if v["transfers"] == 0:
            errors.append(f"tcp {k}: no transfer completed")
        if v["ok"] != v["transfers"]:
            errors.append(f"tcp {k}: {v['transfers'] - v['ok']} of {v['transfers']} transfers not byte-exact")
    if not udp_got or udp_got.get("received", 0) == 0:
        errors.append(f"udp: nothing received ({udp_got})")
    elif udp_got["corrupt"] or udp_got["duplicates"]:
        errors.append(f"udp: {udp_got['corrupt']} damaged and {udp_got['duplicates']} duplicated datagrams")
    for side, ok in alive.items():
        if not ok:
            errors.append(f"daemon {side} not alive at the end")
        if codes[side] != 0:
            errors.append(f"daemon {side} exited {codes[side]} on SIGTERM")
    for side in ("a", "b"):
        taken = logs[side].count("reload")
        if any(r["side"] == side for r in reloads) and taken == 0:
            errors.append(f"daemon {side}: no reload in its log")
    for k, v in flat.items():
        if v is None:
            errors.append(f"{k}: too few samples")
        elif v[2] > FLAT_LIMIT:
            errors.append(f"{k}: first-half peak {v[0]:.1f}, last window {v[1]:.1f} ({v[2] * 100:+.1f} %, limit +5 %)")
    for side, rows in result["accounting"].items():
        if rows is None:
            errors.append(f"{side}: no final status")
            continue
        for r in rows:
            accounted = r["rx_packets"] + r["keepalives_received"] + r["receive_drops"]
            r["accounted"] = accounted
            if r["received"] is not None and r["received"] != accounted:
                errors.append(f"{side} path {r['path']}: socket received {r['received']} datagrams, counters account for "
                              f"{accounted} ({r['rx_packets']} data + {r['keepalives_received']} keepalives + "
                              f"{r['receive_drops']} drops {r['drops']})")
        hostile_data = hostile_sent.get(side, {}).get("data", 0)
        dropped = sum(r["receive_drops"] for r in rows) - sum(r["receive_drops"] for r in accounting(before[side]))
        rejected = sum(result["control_rejected"][side].values())
        result.setdefault("hostile_counted", {})[side] = {"data_sent": hostile_data, "data_drops": dropped,
                                                          "command_sent": hostile_sent.get(side, {}).get("command", 0),
                                                          "control_rejected": rejected}
        if hostile_data and dropped == 0:
            errors.append(f"{side}: {hostile_data} mutated data-port datagrams and no drop counted")
        if hostile_sent.get(side, {}).get("command", 0) and rejected == 0:
            errors.append(f"{side}: mutated command-port datagrams and no control rejection counted")
    for side, n in rcvbuf.items():
        if n:
            errors.append(f"{side}: {n} UDP datagrams dropped by the kernel (receive buffer full), uncounted by the daemon")
    result["errors"] = errors
    return result


def markdown(r, when, host, load0, load1):
    lost = r["udp"]["sent"].get("sent", 0) - r["udp"]["received"].get("received", 0) + r["udp"]["received"].get("duplicates", 0)
    lines = [f"# Soak, {when} on {host}", "",
             f"{r['seconds'] / 60:g} minutes measured after {r['warmup_s']:g} s of warm-up under the same load; both paths {r['rate_mbit']} Mbit/s (tbf); load average {load0} at start, {load1} at the end.",
             f"Path {r['flap_path']} flapped {r['flaps']} times (1 s down / 1 s up; {r['flaps_carrier']} carrier loss, "
             f"{r['flaps_drop']} silent drop); {len(r['reloads'])} reloads; hostile datagrams "
             + ", ".join(f"at {s}: {h.get('data', 0)} data + {h.get('command', 0)} command" for s, h in r["hostile_sent"].items()) + ".", "",
             "| check | result |", "|---|---|"]
    for k, v in r["tcp"].items():
        lines.append(f"| TCP {k} | {v['ok']}/{v['transfers']} transfers byte-exact, {v['bytes'] / 1e6:.0f} MB |")
    u = r["udp"]["received"]
    lines.append(f"| UDP a->b | {u.get('received')} of {r['udp']['sent'].get('sent')} datagrams, {u.get('corrupt')} damaged, "
                 f"{u.get('duplicates')} duplicated, {lost} lost ({lost / max(1, r['udp']['sent'].get('sent', 1)) * 100:.2f} %) |")
    for k, v in r["flat"].items():
        if v:
            lines.append(f"| {k}, peak of the first half vs the last {r['flat_window_s']:.0f} s | {v['first_half']} → {v['last']} "
                         f"({v['change'] * 100:+.2f} %); first {r['flat_window_s']:.0f} s {v.get('first_window')} "
                         f"({(v['last'] - v['first_window']) / v['first_window'] * 100 if v.get('first_window') else 0:+.2f} % to the last); "
                         f"peaks of each tenth: {', '.join(str(x) for x in v['tenths'])} |")
    for s, h in r.get("hostile_counted", {}).items():
        lines.append(f"| hostile at {s} | {h['data_sent']} data sent, {h['data_drops']} data-port drops counted; "
                     f"{h['command_sent']} command sent, {h['control_rejected']} control rejections |")
    for s, a in r.get("allocation", {}).items():
        lines.append(f"| {s} managed allocation (all threads, status requests included) | {a['bytes_per_s'] / 1024:.1f} KiB/s, "
                     f"GC gen0/1/2 {'/'.join(str(x) for x in a['gc_during'])} during the measured time, heap {a['gc_heap_bytes_last'] / 1024:.0f} KiB |")
    lines.append(f"| kernel receive-buffer drops | {r['udp_rcvbuf_errors']} |")
    lines.append(f"| daemons alive, clean exit | {r['alive']}, exit {r['exit_codes']} |")
    lines += ["", "Result: " + ("**pass**" if not r["errors"] else "**FAIL**: " + "; ".join(r["errors"]))]
    return "\n".join(lines) + "\n"


def main(argv):
    args = parse_args(argv)
    started = start_harness("soak", args)
    if started is None:
        return 2
    log, tb, procs = started
    load0 = " ".join(f"{x:.2f}" for x in os.getloadavg())
    code, result = 0, None
    with tempfile.TemporaryDirectory(prefix="mptfast-soak-") as workdir:
        try:
            tb.down()
            log(f"soak: {args.minutes:g} min, paths {args.rate} Mbit/s, path {FLAP_PATH} flapping, reload every "
                f"{RELOAD_EVERY_S:.0f} s, {args.hostile_pps} hostile datagrams/s at each daemon")
            result = soak(args, procs, tb, workdir, log)
        except Interrupted as e:
            log(f"soak: interrupted ({e}); cleaning up")
            code = 130
        except (HarnessError, subprocess.TimeoutExpired, ValueError) as e:
            log(f"soak: {e}")
            code = 1
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            procs.stop_all()
            tb.down()
    if result is None:
        return code or 1
    load1 = " ".join(f"{x:.2f}" for x in os.getloadavg())
    when, host = time.strftime("%Y-%m-%d"), socket.gethostname()
    text = markdown(result, when, host, load0, load1)
    print(text)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        stem = os.path.join(args.out, f"{when}-{host}-soak-{args.minutes:g}min")
        with open(stem + ".json", "w", encoding="utf-8") as f:
            json.dump({"date": when, "hostname": host, "loadavg_start": load0, "loadavg_end": load1, **result}, f, indent=1)
        with open(stem + ".md", "w", encoding="utf-8") as f:
            f.write(text)
        log(f"soak: wrote {stem}.json and .md")
    for e in result["errors"]:
        log("soak: FAIL: " + e)
    print("soak: " + ("pass" if not result["errors"] else f"FAIL ({len(result['errors'])} checks)"))
    return 0 if not result["errors"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
