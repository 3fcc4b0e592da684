"""One server, many clients (issue 15): the star run of the perf harness.

  perf/star.sh [--clients N] [--seconds S] [--idle S] [--shape MBIT] [--nat I:K ...] [--out DIR] [--prefix P]
               [--client-args ARGS] [--server-args ARGS] [--auto-create]

Builds scripts/star-testbed.sh (one server namespace, N client namespaces, two paths each, masquerading NAT where
--nat says), starts one MptFast server with accept_remote = 1 and N MptFast clients, and measures against the
issue's targets, in one run:

  create    every client runs `mptfast create tunnel.conf` at once; seconds until every tunnel passes ping
            (from the moment the creates start, and from the moment the client daemons were launched); with
            --auto-create the clients' connections have auto_create = 1 and nobody runs create (the launch figure
            is the one that counts)
  idle      server CPU (% of one core) and RSS over --idle seconds with N connections x 2 paths and 1 s keepalives;
            RSS per connection above a 1-client baseline measured the same way first
  restart   `mptfast save` on the server, the server restarted from the saved files: connections listed, seconds
            until every client pings again
  aggregate one TCP stream per client at once (iperf3), unshaped: sum vs 1 client with 1 stream, counted on the
            server's links over one window in which every stream runs (frames, outer headers included); CPU seconds
            of the server daemon, the client daemons, the iperf3s and the whole machine over that window; and the
            same two loads without the tunnel (to the server's path 0 address): what 100 small flows cost anyway
  fairness  the same on links shaped to --shape Mbit/s: every client within +-20 % of the mean

Writes OUT/star-<date>-<host>.json and .md. Every process is ended by PID; the namespaces are removed at the end.
"""

import argparse
import datetime
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from netns import Daemon, HarnessError, Processes, Testbed, cpu_seconds, run  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "star-testbed.sh")
SERVER_TUNNEL = "198.19.0.1"
SERVER_PATH0 = "198.18.0.1"   # the server's address on path 0: the loads without a tunnel (the kernel-only reference)


class Star(Testbed):
    """The star testbed; sides are "s" (server) and "c<i>" (client i)."""

    def __init__(self, prefix, clients, nat):
        super().__init__(SCRIPT, prefix)
        self.clients = clients
        self.nat = nat

    def up(self):
        args = ["up", "--clients", str(self.clients)]
        for n in self.nat:
            args += ["--nat", n]
        self._tb(*args, timeout=300)

    reorder = "0"

    def config(self, directory, role, i=None):
        self._tb("config", directory, role, *([str(i)] if i else []), "--reorder", str(self.reorder))

    def shape_all(self, mbit):
        self._tb("shape", f"{mbit:g}", timeout=300)


def rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_all(procs_list, seconds):
    deadline = time.monotonic() + seconds
    for p in procs_list:
        p.wait(max(0.1, deadline - time.monotonic()))


def ping_all(star, seconds=30):
    """Pings the server from every client until each got one reply; returns the clients still failing."""
    pending = set(range(1, star.clients + 1))
    deadline = time.monotonic() + seconds
    while pending and time.monotonic() < deadline:
        ps = {i: subprocess.Popen(["ip", "netns", "exec", star.ns(f"c{i}"), "ping", "-n", "-c", "1", "-W", "1", SERVER_TUNNEL],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in pending}
        for i, p in ps.items():
            if p.wait(10) == 0:
                pending.discard(i)
    return sorted(pending)


def bring_up(args, procs, star, workdir, log):
    """Server and clients running, every client created and pinging. Returns (server daemon, clients, timings)."""
    # A fresh configuration: a server directory of an earlier run (same PERF_WORKDIR) holds the peer_*.conf its
    # `save` wrote, and a server started with those has every connection before any create.
    shutil.rmtree(workdir, ignore_errors=True)
    star.up()
    sdir = os.path.join(workdir, "server")
    star.config(sdir, "server")
    server = Daemon(procs, star, "s", args.mptfast, sdir, os.path.join(workdir, "server.log"), shlex.split(args.server_args))
    server.wait_ready()
    launched = time.monotonic()
    clients = []
    for i in range(1, star.clients + 1):
        cdir = os.path.join(workdir, f"c{i}")
        star.config(cdir, "client", i)
        if args.auto_create:
            conf = os.path.join(cdir, "connections", "tunnel.conf")
            with open(conf, encoding="utf-8") as f:
                text = f.read()
            with open(conf, "w", encoding="utf-8") as f:
                f.write(text.replace("[connection]\n", "[connection]\nauto_create        = 1\n", 1))
        clients.append(Daemon(procs, star, f"c{i}", args.mptfast, cdir, os.path.join(workdir, f"c{i}.log"), shlex.split(args.client_args)))
    for c in clients:
        c.wait_ready(60)
    started = time.monotonic()
    if args.auto_create:
        failed = []  # each daemon asked for its create when it loaded the connection (auto_create = 1)
    else:
        creates = [subprocess.Popen(["ip", "netns", "exec", star.ns(c.side), args.mptfast, "-c", c.confdir, "create", "tunnel.conf"],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for c in clients]
        wait_all(creates, 120)
        failed = [(i + 1, p.stdout.read().strip()) for i, p in enumerate(creates) if p.returncode != 0]
    not_pinging = ping_all(star)
    done = time.monotonic()
    status = server.status()
    if status is None:
        # `status --json` failed (before 2026-12-05 a reply of more than four 60,000-byte frames lost its tail on the
        # local socket): count the creates in the server's log instead, and say so.
        with open(server.logpath, encoding="utf-8", errors="replace") as f:
            created = f.read().count("connection created by the peer")
        status = {"connections": [None] * created, "counted_from": "log"}
    timing = {
        "clients": star.clients,
        "create_to_ping_s": round(done - started, 2),
        "launch_to_ping_s": round(done - launched, 2),
        "creates_failed": failed,
        "clients_not_pinging": not_pinging,
        "server_connections": len(status.get("connections", [])),
        "server_connections_from": status.get("counted_from", "status --json"),
    }
    # What the creates cost the tunnels already running: the server's datapath pauses (binaries since 2026-12-07).
    datapath = status.get("tunnel", {}).get("datapath", {})
    if "pauses" in datapath:
        timing["server_datapath_pauses"] = datapath["pauses"]
        timing["server_datapath_paused_ms"] = round(datapath["paused_us"] / 1000, 1)
    log(f"  {star.clients} client(s): created and pinging in {timing['create_to_ping_s']} s "
        f"({timing['launch_to_ping_s']} s from launch); {len(failed)} create(s) failed, {len(not_pinging)} not pinging, "
        f"server lists {timing['server_connections']} connection(s)"
        + (f"; its datapath paused {timing['server_datapath_paused_ms']} ms in {timing['server_datapath_pauses']} rebuild(s)"
           if "server_datapath_pauses" in timing else ""))
    return server, clients, timing


def idle(server, seconds):
    time.sleep(3)
    pid = server.pid
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu_seconds(pid), time.monotonic()
    return {"cpu_pct": round(100 * (c1 - c0) / (t1 - t0), 2), "rss_kib": rss_kib(pid)}


def machine_busy_seconds():
    """CPU seconds all cores spent busy since boot (/proc/stat: everything but idle and iowait)."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def daemons_cpu_seconds(daemons):
    total = 0.0
    for d in daemons:
        c = cpu_seconds(d.pid)
        total += c or 0.0
    return total


def link_rx_bytes(star, clients):
    """Bytes the server namespace has received on each client's two links so far (/proc/net/dev there, interfaces
    c<i>p0 and c<i>p1: whole frames, the tunnel's outer headers included), one figure per client."""
    out = star.exec_("s", "cat", "/proc/net/dev", timeout=30).stdout
    rx = {}
    for line in out.splitlines()[2:]:
        name, _, fields = line.partition(":")
        rx[name.strip()] = int(fields.split()[0])
    return [sum(rx.get(f"{c.side}p{k}", 0) for k in (0, 1)) for c in clients]


RAMP_LIMIT_S = 120   # longest wait for every client's stream to be under way


def tcp_each(procs, star, clients, seconds, server_pid=None, cost=None, target=SERVER_TUNNEL):
    """One TCP stream per client at once to target (the server's tunnel address, or SERVER_PATH0 for the load
    without a tunnel); returns Mbit/s per client over ONE common window of `seconds`, measured on the server's links.

    Launching a hundred iperf3s through `ip netns exec` takes seconds (10-15 s on a slow VM), so each client's own
    report covered a different window: the first ran while the rest were still starting, the last nearly alone. Here
    the streams run until every client's links carry data, then the bytes the server received on each client's two
    links (outer frames) are counted over the same window, and the streams are stopped. With cost (a dict), fills it
    with the CPU seconds over that window of the server daemon (server_pid), the client daemons together, the iperf3s
    together and the whole machine (busy), so the rest (softirq work outside any of them, the harness) can be told
    apart, and the ramp (seconds until every stream was under way)."""
    servers = [procs.start(["ip", "netns", "exec", star.ns("s"), "iperf3", "-s", "-1", "-p", str(5201 + i), "-B", target])
               for i in range(len(clients))]
    time.sleep(1.0)
    started = time.monotonic()
    runs = [procs.start(["ip", "netns", "exec", star.ns(c.side), "iperf3", "-c", target, "-p", str(5201 + i),
                         "-t", str(seconds + RAMP_LIMIT_S + 30)])
            for i, c in enumerate(clients)]
    try:
        # Under way: every client's links received more than a full-size frame per 100 ms since the last look.
        last = link_rx_bytes(star, clients)
        waiting = set(range(len(clients)))
        while waiting and time.monotonic() - started < RAMP_LIMIT_S:
            time.sleep(0.5)
            now = link_rx_bytes(star, clients)
            waiting = {i for i in waiting if now[i] - last[i] < 5 * 1500}
            last = now
        ramp = time.monotonic() - started
        iperfs = [p.pid for p in servers + runs]
        clients0 = daemons_cpu_seconds(clients) if cost is not None else None
        iperf0 = sum(cpu_seconds(pid) or 0.0 for pid in iperfs)
        cpu0, busy0, t0 = (cpu_seconds(server_pid) if server_pid else None), machine_busy_seconds(), time.monotonic()
        bytes0 = link_rx_bytes(star, clients)
        time.sleep(seconds)
        bytes1 = link_rx_bytes(star, clients)
        t1 = time.monotonic()
        rates = [(b1 - b0) * 8 / (t1 - t0) / 1e6 for b0, b1 in zip(bytes0, bytes1)]
        if cost is not None:
            cpu1, busy1 = (cpu_seconds(server_pid) if server_pid else None), machine_busy_seconds()
            cost["ramp_s"] = round(ramp, 2)
            cost["clients_not_under_way"] = len(waiting)
            cost["load_s"] = round(t1 - t0, 2)
            cost["machine_busy_s"] = round(busy1 - busy0, 2)
            cost["client_daemons_cpu_s"] = round(daemons_cpu_seconds(clients) - clients0, 2)
            cost["iperf3_cpu_s"] = round(sum(cpu_seconds(pid) or 0.0 for pid in iperfs) - iperf0, 2)
            if cpu0 is not None and cpu1 is not None:
                cost["server_cpu_s"] = round(cpu1 - cpu0, 2)
                gbytes = sum(bytes1) / 1e9 - sum(bytes0) / 1e9
                cost["server_cpu_s_per_gb"] = round((cpu1 - cpu0) / gbytes, 3) if gbytes > 0 else None
    finally:
        for p in runs + servers:
            procs.stop(p, grace=2.0)
    return rates


def save_and_restart(args, procs, star, server, workdir, log):
    """`mptfast save` on the server, a server restart from the saved files, every client pinging again. Returns
    (the new server daemon, figures)."""
    r = star.exec_("s", args.mptfast, "-c", server.confdir, "save", timeout=60, check=False)
    saved = [f for f in os.listdir(os.path.join(server.confdir, "connections")) if f.startswith("peer_") and f.endswith(".conf")]
    server.stop()
    restarted = time.monotonic()
    server = Daemon(procs, star, "s", args.mptfast, server.confdir, os.path.join(workdir, "server-restarted.log"), shlex.split(args.server_args))
    server.wait_ready(60)
    status = server.status()
    not_pinging = ping_all(star, 60)
    figures = {"save_exit": r.returncode, "saved_files": len(saved),
               "restart_connections": len(status.get("connections", [])) if status else None,
               "restart_to_ping_s": round(time.monotonic() - restarted, 2), "clients_not_pinging_after_restart": not_pinging}
    log(f"  save wrote {len(saved)} file(s) (exit {r.returncode}); the restarted server lists "
        f"{figures['restart_connections']} connection(s), all but {len(not_pinging)} client(s) pinging after "
        f"{figures['restart_to_ping_s']} s")
    return server, figures


def teardown(procs, star, server, clients):
    for c in clients:
        c.stop()
    server.stop()
    procs.stop_all()
    star.down()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=int, default=10, help="length of each TCP load")
    ap.add_argument("--idle", type=int, default=20, help="seconds of idle CPU measurement")
    ap.add_argument("--shape", type=float, default=10, help="Mbit/s per client link for the fairness load (0: skip; 0.5 is 500 kbit/s)")
    ap.add_argument("--reorder", default="0", help="reorder_window of server template and clients (a number, or auto)")
    ap.add_argument("--client-args", default="", help="extra arguments of every client's `mptfast run` (e.g. --single-thread)")
    ap.add_argument("--server-args", default="", help="extra arguments of the server's `mptfast run`")
    ap.add_argument("--nat", action="append", default=[], help="client:path behind masquerading NAT (repeatable)")
    ap.add_argument("--auto-create", action="store_true",
                    help="clients with auto_create = 1: no `mptfast create`, each daemon asks for its connection at start "
                         "(create time counts from the daemons' launch)")
    ap.add_argument("--out", default=os.path.join(ROOT, "perf", "results"))
    ap.add_argument("--prefix", default="mfstar")
    ap.add_argument("--mptfast", default=os.environ.get("MPTFAST_BIN", os.path.join(ROOT, "artifacts", "bin", "mptfast")))
    args = ap.parse_args(argv)
    workdir = os.environ.get("PERF_WORKDIR") or "/tmp/mptfast-star"
    procs = Processes()

    def log(msg):
        print(msg, flush=True)

    result = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "host": socket.gethostname(),
              "load_average_start": os.getloadavg(), "clients": args.clients, "nat": args.nat, "reorder_window": args.reorder,
              "client_args": args.client_args, "server_args": args.server_args, "auto_create": args.auto_create}
    try:
        log("baseline: 1 client")
        star = Star(args.prefix, 1, [])
        star.reorder = args.reorder
        server, clients, timing1 = bring_up(args, procs, star, os.path.join(workdir, "one"), log)
        result["baseline"] = {**timing1, **idle(server, args.idle)}
        cost1 = {}
        result["baseline"]["tcp1_mbit"] = round(tcp_each(procs, star, clients, args.seconds, server.pid, cost1)[0], 1)
        result["baseline"]["tcp1_cost"] = cost1
        direct1 = {}
        result["baseline"]["direct_tcp1_mbit"] = round(tcp_each(procs, star, clients, args.seconds, None, direct1, SERVER_PATH0)[0], 1)
        result["baseline"]["direct_tcp1_cost"] = direct1
        log(f"  idle {result['baseline']['cpu_pct']} % CPU, RSS {result['baseline']['rss_kib']} KiB; 1 stream {result['baseline']['tcp1_mbit']} Mbit/s")
        teardown(procs, star, server, clients)

        log(f"star: {args.clients} clients")
        star = Star(args.prefix, args.clients, args.nat)
        star.reorder = args.reorder
        server, clients, timing = bring_up(args, procs, star, os.path.join(workdir, "many"), log)
        result["star"] = {**timing, **idle(server, args.idle)}
        per_conn = (result["star"]["rss_kib"] - result["baseline"]["rss_kib"]) / max(1, args.clients - 1)
        result["star"]["rss_kib_per_connection"] = round(per_conn, 1)
        log(f"  idle {result['star']['cpu_pct']} % CPU, RSS {result['star']['rss_kib']} KiB ({per_conn:.1f} KiB per connection above the baseline)")
        server, saved = save_and_restart(args, procs, star, server, os.path.join(workdir, "many"), log)
        result["star"].update(saved)
        cost = {}
        rates = tcp_each(procs, star, clients, args.seconds, server.pid, cost)
        result["star"]["aggregate_cost"] = cost
        result["star"]["aggregate_mbit"] = round(sum(rates), 1)
        result["star"]["aggregate_ratio"] = round(sum(rates) / result["baseline"]["tcp1_mbit"], 3) if result["baseline"]["tcp1_mbit"] else None
        log(f"  {args.clients} streams at once: {sum(rates):.0f} Mbit/s in sum ({result['star']['aggregate_ratio']} x 1 client); "
            f"server CPU {cost.get('server_cpu_s')} s of {cost.get('machine_busy_s')} busy ({cost.get('server_cpu_s_per_gb')} s/GB, "
            f"1 client: {cost1.get('server_cpu_s')} s of {cost1.get('machine_busy_s')}, {cost1.get('server_cpu_s_per_gb')} s/GB); "
            f"client daemons {cost.get('client_daemons_cpu_s')} s (1 client: {cost1.get('client_daemons_cpu_s')} s), "
            f"iperf3s {cost.get('iperf3_cpu_s')} s (1 client: {cost1.get('iperf3_cpu_s')} s)")
        # The kernel-only reference: the same loads without the tunnel (client to the server's path 0 address), so the
        # aggregate's ratio can be read against what 100 small flows cost this machine anyway.
        direct = {}
        drates = tcp_each(procs, star, clients, args.seconds, None, direct, SERVER_PATH0)
        result["star"]["direct_aggregate_cost"] = direct
        result["star"]["direct_aggregate_mbit"] = round(sum(drates), 1)
        d1 = result["baseline"]["direct_tcp1_mbit"]
        result["star"]["direct_aggregate_ratio"] = round(sum(drates) / d1, 3) if d1 else None
        log(f"  without the tunnel: 1 stream {d1} Mbit/s, {args.clients} streams {sum(drates):.0f} Mbit/s in sum "
            f"({result['star']['direct_aggregate_ratio']} x); machine busy {direct1.get('machine_busy_s')} / "
            f"{direct.get('machine_busy_s')} s, iperf3s {direct1.get('iperf3_cpu_s')} / {direct.get('iperf3_cpu_s')} s")
        if args.shape:
            star.shape_all(args.shape)
            shaped = tcp_each(procs, star, clients, args.seconds)
            mean = sum(shaped) / len(shaped)
            worst = max(abs(r - mean) / mean for r in shaped) if mean else None
            result["star"]["shaped_mbit"] = args.shape
            result["star"]["shaped_rates_mbit"] = [round(r, 2) for r in shaped]
            result["star"]["shaped_mean_mbit"] = round(mean, 2)
            result["star"]["shaped_worst_deviation"] = round(worst, 3) if worst is not None else None
            log(f"  shaped {args.shape} Mbit/s per link: mean {mean:.2f} Mbit/s, worst client {100 * worst:.1f} % from it")
        result["star"]["server_log_tail"] = server.log_tail(5)
        teardown(procs, star, server, clients)
    except (HarnessError, subprocess.TimeoutExpired, OSError) as e:
        result["error"] = str(e)
        log(f"star: {e}")
        procs.stop_all()
        Star(args.prefix, 1, []).down()
    result["load_average_end"] = os.getloadavg()
    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, f"star-{datetime.date.today().isoformat()}-{socket.gethostname()}")
    with open(stem + ".json", "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    log(f"written: {stem}.json")
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
