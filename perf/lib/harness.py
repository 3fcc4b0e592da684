"""MptFast end-to-end performance harness (started by perf/run.sh; see perf/README.md).

Measures, in one run on one testbed: direct veth, kernel VXLAN, and MptFast over 1 and 2 paths,
weighted, shaped and with the reorder window on/off; TCP 1/4 streams and UDP packet rates with
iperf3, UDP packet rates with perf/tools/UdpLoad (sendmmsg/recvmmsg); CPU seconds per daemon.
Writes OUT/<date>-<host>.json, .md and .png.
"""

import argparse
import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import loads as loadmod
import cpuprofile as profmod
import linkemu
import matrixreport
import reallinks
import report
import udpload
from netns import (Daemon, HarnessError, Interrupted, Processes, Testbed, mptcp_up, raise_on_signals, run, vxlan_down,
                   vxlan_up, write_mptfast_config)
from scenarios import BY_NAME, LOAD_BY_NAME, LOADS, QUICK_LOADS, QUICK_SCENARIOS, SCENARIOS, SETS, TUN_ADDR

MPTCP_WRAP = ["mptcpize", "run"]   # iperf3 3.12 has no --mptcp: mptcpize makes its sockets MPTCP ones
MATRIX_LOADS = ["tcp1", "tcp4", "short256k"]

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# --metrics-scrape: where the daemons serve metrics (each side in its own namespace) and the scraper that reads them.
METRICS_AT = "127.0.0.1:9477"
SCRAPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scrape.py")
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def parse_args(argv):
    scen = "\n".join(f"  {s.name:30} {s.description}" for s in SCENARIOS)
    lds = "\n".join(f"  {l.name:30} {l.description}" for l in LOADS)
    p = argparse.ArgumentParser(
        prog="perf/run.sh", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="MptFast performance harness: veth, kernel VXLAN and MptFast scenarios measured in one run "
                    "with iperf3 and UdpLoad, in two network namespaces it creates and removes (needs root).",
        epilog=f"scenarios:\n{scen}\n\nloads:\n{lds}\n\n--quick: scenarios {','.join(QUICK_SCENARIOS)}, "
               f"loads {','.join(QUICK_LOADS)}, 1 run of 2 s (each can still be overridden).\n"
               "Exit status: 0 all scenarios measured, 1 some failed (results still written), "
               "2 usage error, 130 interrupted.")
    p.add_argument("--quick", action="store_true", help="short smoke run (see below); under 5 minutes")
    p.add_argument("--matrix", action="store_true",
                   help="the real-links matrix: scenarios --only real-links, loads tcp1,tcp4,short256k, 20 s (each overridable)")
    p.add_argument("--runs", type=int, help="runs per scenario and load (default 3, quick 1)")
    p.add_argument("--seconds", type=int, help="length of each load in seconds (default 10, quick 2)")
    p.add_argument("--only", help="comma-separated scenario names (default: all, or the quick set)")
    p.add_argument("--cc", help="TCP congestion control of the TCP loads (iperf3 -C, e.g. cubic; default: the "
                                "namespaces' default, bbr on this kernel)")
    p.add_argument("--interval", type=float, help="iperf3 report interval in seconds (default 1); with it the JSON also has "
                   "each TCP interval's window and RTT (intervals_tcp)")
    p.add_argument("--loads", help="comma-separated loads (default: all, quick: tcp1)")
    p.add_argument("--out", default=os.path.join(ROOT, "perf", "results"), help="output directory (default perf/results)")
    p.add_argument("--tag", help="appended to the result files' name: DATE-HOST-TAG.json (default: real-links with --matrix)")
    p.add_argument("--no-offload", action="store_true", help="pass --no-offload to mptfast run")
    p.add_argument("--mptfast", default=os.environ.get("MPTFAST_BIN") or os.path.join(ROOT, "artifacts", "bin", "mptfast"),
                   help="the daemon binary (default $MPTFAST_BIN or artifacts/bin/mptfast)")
    p.add_argument("--publish", action="store_true", help="run scripts/publish.sh (and build UdpLoad) first")
    p.add_argument("--udpload", default=os.environ.get("UDPLOAD") or udpload.DEFAULT_DLL,
                   help="the packet-rate tool for the *mmsg loads (default $UDPLOAD or "
                        "perf/tools/UdpLoad/bin/Release/net10.0/UdpLoad.dll; built if missing)")
    p.add_argument("--profile", default="",
                   help="comma-separated scenario names to profile: one extra run of the first load under "
                        "`perf record -a -g`, summarised in the results (not counted in the figures)")
    p.add_argument("--metrics-scrape", action="store_true",
                   help="daemons serve metrics (run --metrics 127.0.0.1:9477) and are scraped every second during "
                        "the loads, as a Prometheus would (the A/B check that metrics cost the datapath nothing)")
    p.add_argument("--linkemu", default=os.environ.get("LINKEMU") or linkemu.DEFAULT_DLL,
                   help="the link emulator for real-links scenarios (default $LINKEMU or "
                        "perf/tools/LinkEmu/bin/Release/net10.0/LinkEmu.dll; built if missing)")
    p.add_argument("--prefix", default="mfperf",
                   help="testbed namespace prefix (default mfperf: mfperfa/mfperfb, emulators in mfperfe)")
    a = p.parse_args(argv)
    a.runs = a.runs if a.runs is not None else (1 if a.quick else 3)
    a.seconds = a.seconds if a.seconds is not None else (2 if a.quick else 20 if a.matrix else 10)
    if a.runs < 1 or a.seconds < 1:
        p.error("--runs and --seconds must be at least 1")
    if a.interval is not None and not 0.1 <= a.interval <= 60:
        p.error("--interval must be between 0.1 and 60 seconds (iperf3's range)")
    if a.matrix and not a.only:
        a.only = "real-links"
    if a.matrix and not a.tag:
        a.tag = "real-links"
    if a.matrix and not a.loads:
        a.loads = ",".join(MATRIX_LOADS)
    names = a.only.split(",") if a.only else (QUICK_SCENARIOS if a.quick else [s.name for s in SCENARIOS if not s.links])
    names = [n for name in names for n in SETS.get(name, [name])]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        p.error(f"unknown scenario(s): {', '.join(unknown)} (see --help)")
    a.scenarios = [BY_NAME[n] for n in dict.fromkeys(names)]
    lnames = a.loads.split(",") if a.loads else (QUICK_LOADS if a.quick else [l.name for l in LOADS])
    unknown = [n for n in lnames if n not in LOAD_BY_NAME]
    if unknown:
        p.error(f"unknown load(s): {', '.join(unknown)} (see --help)")
    a.load_list = [LOAD_BY_NAME[n] for n in dict.fromkeys(lnames)]
    a.profile = [n for n in a.profile.split(",") if n]
    unknown = [n for n in a.profile if n not in names]
    if unknown:
        p.error(f"--profile names scenario(s) not in this run: {', '.join(unknown)}")
    a.omit = 1 if a.seconds >= 5 else 0
    return a


def machine_info(binary, udpload_path=None):
    def first(path, key):
        try:
            with open(path, encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith(key):
                        return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "unknown"

    git = run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"], check=False).stdout.strip() or "unknown"
    dirty = bool(run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"], check=False).stdout.strip())
    version = "unknown"
    if os.path.exists(binary):
        st = os.stat(binary)
        with open(binary, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:12]
        binfo = f"{st.st_size // 1024} KiB, sha256 {digest}, built " \
                f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(st.st_mtime))}"
        try:
            version = run([binary, "--version"], timeout=10, check=False).stdout.strip() or "unknown"
        except (OSError, HarnessError):
            version = "unknown (--version failed)"
    else:
        binfo = "missing"
    # A binary built from another tree (--mptfast elsewhere) says where it came from via $MPTFAST_COMMIT.
    if os.environ.get("MPTFAST_COMMIT"):
        git, dirty = os.environ["MPTFAST_COMMIT"], False
    iperf = run(["iperf3", "--version"], check=False).stdout.splitlines()
    tool = None
    if udpload_path:
        tool = os.path.relpath(udpload_path, ROOT) if udpload_path.startswith(ROOT) else udpload_path
        tool += (f" (built {time.strftime('%Y-%m-%d %H:%M', time.localtime(os.stat(udpload_path).st_mtime))})"
                 if os.path.exists(udpload_path) else " (missing)")
    return {
        "hostname": socket.gethostname(),
        "cpu_model": first("/proc/cpuinfo", "model name"),
        "cores": os.cpu_count(),
        "memory_gib": int(first("/proc/meminfo", "MemTotal").split()[0]) / 1024 / 1024,
        "kernel": os.uname().release,
        "loadavg_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "git_commit": git,
        "git_dirty": dirty,
        "mptfast_binary": os.path.relpath(binary, ROOT) if binary.startswith(ROOT) else binary,
        "mptfast_binary_info": binfo,
        "mptfast_version": version,
        "iperf3": iperf[0].strip() if iperf else "iperf3 unknown",
        "udpload": tool,
    }


def metric_names(load, sc):
    if load.tool == "transfer":   # a short transfer: its completion time; no rate over the load's seconds, no probes
        return [f"{load.name}_done_ms"]
    names = [f"{load.name}_gbps", f"{load.name}_retransmits"] if load.proto == "tcp" else \
        [f"{load.name}_kpps", f"{load.name}_gbps", f"{load.name}_loss_pct"]
    if sc.kind == "mptfast":
        names += [f"{load.name}_cpu_a_s", f"{load.name}_cpu_b_s"]
    if sc.links:
        names += [f"{load.name}_fraction", f"{load.name}_share_p1"] + \
                 [f"{load.name}_rtt_p{i + 1}_ms" for i in range(len(sc.links))]
    return names


def path_share(status):
    try:
        paths = status["connections"][0]["paths"]
        tx = [float(p["tx_bytes"]) for p in paths]
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    total = sum(tx)
    return [t / total for t in tx] if total > 0 else None


def new_entry(sc):
    return {"name": sc.name, "config": sc.as_json(), "status": "ok", "error": None, "run_errors": [],
            "warnings": [], "metrics": {}, "iperf3_cpu": [], "udpload": []}


def measure_load(args, procs, tb, sc, load, daemons, tool, omit):
    """One run of load against the scenario's target: UdpLoad or iperf3; returns (metrics, raw)."""
    pids = [(d.side, d.pid) for d in daemons]
    if load.tool == "udpload":
        return udpload.measure(procs, tb, load, sc.target, args.seconds, pids, tool)
    if load.tool == "transfer":
        return loadmod.measure_transfer(procs, tb, load, sc.target, wrap=MPTCP_WRAP if sc.kind == "mptcp" else ())
    return loadmod.measure(procs, tb, load, sc.target, args.seconds, pids, omit=omit,
                           wrap=MPTCP_WRAP if sc.kind == "mptcp" else ())


def profile_run(args, procs, tb, sc, workdir, log, daemons, tool):
    """One extra run of the first load under perf record; its figures stay out of the medians."""
    load = args.load_list[0]
    info = {"scenario": sc.name, "load": load.name, "seconds": max(1, args.seconds - 2), "cores": os.cpu_count()}
    reason = profmod.available()
    if reason:
        info["error"] = reason
        return info
    log(f"  {sc.name}: {load.name} profiled run (perf record -a -g)")
    data = os.path.join(workdir, f"{sc.name}.perf.data")
    rec = profmod.Recorder(procs, data, info["seconds"], delay=1.0 if args.seconds >= 3 else 0.2)
    try:
        rec.start()
        metrics, _ = measure_load(args, procs, tb, sc, load, daemons, tool, omit=0)
        rec.wait()
        info["metrics"] = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
        info.update(profmod.summarize(data))
    except (HarnessError, OSError, subprocess.SubprocessError) as e:
        info["error"] = str(e).splitlines()[0] if str(e) else type(e).__name__
        log(f"    profile failed: {info['error']}")
    finally:
        with contextlib.suppress(OSError):
            os.remove(data)
    return info


def run_scenario(args, procs, tb, sc, workdir, log, entry):
    """Sets the scenario up, runs every load args.runs times, tears it down; fills entry (already in the result)."""
    values = {m: [None] * args.runs for l in args.load_list for m in metric_names(l, sc)}
    daemons = []
    scrapers = []
    links = linkemu.EmulatedLinks(procs, tb, None, workdir)
    try:
        # The packet-rate tool is checked first: a scenario that cannot run all its loads fails with the reason.
        tool = udpload.command(args.udpload) if any(l.tool == "udpload" for l in args.load_list) else None
        tb.up()
        for path, mbit in sorted(sc.shape.items()):
            tb.shape(path, mbit)
        if sc.tcp_buffers_mib:
            limit = str(sc.tcp_buffers_mib << 20)
            for side in ("a", "b"):
                tb.exec_(side, "sysctl", "-qw", f"net.ipv4.tcp_rmem=4096 131072 {limit}", f"net.ipv4.tcp_wmem=4096 16384 {limit}")
        if sc.links:
            links.tool = linkemu.command(args.linkemu)
            links.up({i + 1: l for i, l in enumerate(sc.links)})
            for path in range(1, len(sc.links) + 1):
                tb.wait_reachable("a", f"198.18.{path}.2")
        if sc.kind == "mptcp":
            mptcp_up(tb, sc.paths)
        if sc.kind == "vxlan":
            vxlan_up(tb)
        elif sc.kind == "mptfast":
            if not os.path.exists(args.mptfast):
                raise HarnessError(f"mptfast binary not found at {args.mptfast} (run scripts/publish.sh, or --publish)")
            extra = (["--no-offload"] if args.no_offload else []) + (["--metrics", METRICS_AT] if args.metrics_scrape else [])
            for side in ("a", "b"):
                conf = write_mptfast_config(os.path.join(workdir, sc.name, side), side, sc)
                daemons.append(Daemon(procs, tb, side, args.mptfast, conf,
                                      os.path.join(workdir, f"{sc.name}-{side}.log"), extra))
            for d in daemons:
                d.wait_ready()
            tb.wait_reachable("a", TUN_ADDR["b"])
            if args.metrics_scrape:
                scrapers = [(side, os.path.join(workdir, f"{sc.name}-{side}.scrapes"),
                             procs.start(["ip", "netns", "exec", tb.ns(side), sys.executable, SCRAPER,
                                          f"http://{METRICS_AT}/metrics", "1", "3600",
                                          os.path.join(workdir, f"{sc.name}-{side}.scrapes")]))
                            for side in ("a", "b")]
        for r in range(args.runs):
            for load in args.load_list:
                log(f"  {sc.name}: {load.name} run {r + 1}/{args.runs}")
                try:
                    probe = None
                    if sc.links and load.tool != "transfer":
                        links.restart_schedules()   # the links' steps count from the start of this load
                        probe = reallinks.Probe(procs, tb, sc, args.seconds)
                    metrics, raw = measure_load(args, procs, tb, sc, load, daemons, tool, omit=args.omit)
                    if probe:
                        metrics.update(probe.finish(metrics, args.omit))
                except HarnessError as e:
                    entry["run_errors"].append(f"{load.name} run {r + 1}: {e}")
                    log(f"    failed: {e}")
                    continue
                for k, v in metrics.items():
                    if f"{load.name}_{k}" in values:
                        values[f"{load.name}_{k}"][r] = v
                entry["udpload" if load.tool == "udpload" else "iperf3_cpu"].append({"load": load.name, "run": r + 1, **raw})
                time.sleep(0.3)   # let queues drain between loads
        if sc.name in args.profile:
            entry["profile"] = profile_run(args, procs, tb, sc, workdir, log, daemons, tool)
        if daemons:
            statuses = {d.side: d.status() for d in daemons}
            status = statuses["a"]
            entry["path_share"] = path_share(status) if status else None
            # Both sides' final counters (drops, offload figures) go into the result for diagnosis.
            entry["daemon_status"] = statuses
            if status is None:
                entry["warnings"].append("mptfast status --json failed")
    except (HarnessError, OSError) as e:
        entry["status"] = "failed"
        entry["error"] = str(e)
        log(f"  {sc.name}: FAILED: {str(e).splitlines()[0]}")
    except Exception:   # a harness bug: record it with the traceback and go on with the next scenario
        entry["status"] = "failed"
        entry["error"] = "harness error:\n" + traceback.format_exc()
        log(f"  {sc.name}: HARNESS ERROR:\n{traceback.format_exc()}")
    finally:
        for side, counts, p in scrapers:
            procs.stop(p)
            try:
                with open(counts, encoding="ascii") as f:
                    ok, failed = (int(x) for x in f.read().split())
                entry.setdefault("metrics_scrapes", {})[side] = {"ok": ok, "failed": failed}
            except (OSError, ValueError):
                entry["warnings"].append(f"metrics scraper of side {side} left no count")
        for d in reversed(daemons):
            code = d.stop()
            if code not in (0, None) and entry["status"] == "ok":
                entry["warnings"].append(f"mptfast side {d.side} exited {code} on SIGTERM; log tail:\n{d.log_tail(10)}")
        if sc.kind == "vxlan":
            vxlan_down(tb)
        if sc.links:
            # The emulators' counters (drops by reason, queue high water) go into the result; then the emulated
            # paths and the testbed go, so that the next scenario starts from direct veths and no MPTCP endpoint.
            entry["linkemu"] = links.stats()
            links.down()
            tb.down()
        entry["metrics"] = {m: report.summarize(v) for m, v in values.items()}
        if entry["status"] == "ok" and entry["run_errors"]:
            entry["status"] = "partial"


def main(argv):
    args = parse_args(argv)
    loadmod.CONGESTION = args.cc
    loadmod.INTERVAL = args.interval
    if os.geteuid() != 0:
        print("perf: needs root (network namespaces)", file=sys.stderr)
        return EXIT_USAGE

    raise_on_signals()

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    if args.publish:
        log("perf: scripts/publish.sh")
        run([os.path.join(ROOT, "scripts", "publish.sh")], timeout=1800)
    if any(s.links for s in args.scenarios) and (args.publish or not os.path.exists(args.linkemu)) \
            and args.linkemu == linkemu.DEFAULT_DLL:
        err = linkemu.build(log)
        if err:
            log(f"perf: {err}")
    needs_tool = any(l.tool == "udpload" for l in args.load_list)
    if needs_tool and (args.publish or not os.path.exists(args.udpload)) and args.udpload == udpload.DEFAULT_DLL:
        # Missing (or --publish): build it once; if that fails, every scenario fails with udpload.command's message.
        err = udpload.build(log)
        if err:
            log(f"perf: {err}")
    os.makedirs(args.out, exist_ok=True)
    procs = Processes()
    tb = Testbed(os.path.join(ROOT, "..", "shared", "testbed", "netns-testbed.sh")
                 if not os.environ.get("MPTFAST_SHARED") else
                 os.path.join(os.environ["MPTFAST_SHARED"], "testbed", "netns-testbed.sh"), args.prefix)
    started = time.monotonic()
    result = {
        "schema": report.SCHEMA,
        "date": time.strftime("%Y-%m-%d"),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(args.mptfast, args.udpload if needs_tool else None),
        "options": {"runs": args.runs, "seconds": args.seconds, "omit": args.omit, "quick": args.quick,
                    "no_offload": args.no_offload, "loads": [l.name for l in args.load_list],
                    "scenarios": [s.name for s in args.scenarios], "prefix": args.prefix,
                    "profile": args.profile, "metrics_scrape": args.metrics_scrape, "tag": args.tag},
        "scenarios": [], "aggregates": [], "interrupted": False,
    }
    code = EXIT_OK
    # run.sh makes the work directory (configs, daemon logs) and removes it even if we are killed.
    workdir_env = os.environ.get("PERF_WORKDIR")
    with (contextlib.nullcontext(workdir_env) if workdir_env else
          tempfile.TemporaryDirectory(prefix="mptfast-perf-")) as workdir:
        try:
            linkemu.remove_namespace(tb.prefix + "e")   # leftovers with our prefix (a killed earlier run) go first
            tb.down()
            for sc in args.scenarios:
                log(f"perf: scenario {sc.name} ({sc.description})")
                result["scenarios"].append(new_entry(sc))
                run_scenario(args, procs, tb, sc, workdir, log, result["scenarios"][-1])
        except Interrupted as e:
            log(f"perf: interrupted ({e}); cleaning up")
            result["interrupted"] = True
            if result["scenarios"] and result["scenarios"][-1]["status"] == "ok":
                result["scenarios"][-1]["status"] = "interrupted"
            code = EXIT_INTERRUPTED
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)   # cleanup must not be cut short
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            procs.stop_all()
            linkemu.remove_namespace(tb.prefix + "e")
            tb.down()
    result["duration_s"] = time.monotonic() - started
    result["machine"]["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    report.add_ratios(result["scenarios"])
    result["aggregates"] = report.aggregates(result["scenarios"])
    result["targets"] = report.targets(result)
    result["real_links_targets"] = matrixreport.targets(result)
    stem = os.path.join(args.out, f"{result['date']}-{result['machine']['hostname']}" + (f"-{args.tag}" if args.tag else ""))
    report.write_json(stem + ".json", result)
    report.write_markdown(stem + ".md", result)
    report.write_plot(stem + ".png", result)
    log(f"perf: wrote {stem}.json, .md, .png in {result['duration_s']:.0f} s")
    if code == EXIT_OK and any(s["status"] != "ok" for s in result["scenarios"]):
        bad = ", ".join(f"{s['name']} ({s['status']})" for s in result["scenarios"] if s["status"] != "ok")
        log(f"perf: not every scenario completed: {bad}")
        code = EXIT_FAILED
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
