"""The packet-rate load: perf/tools/UdpLoad (sendmmsg/recvmmsg) instead of iperf3 for the *mmsg loads.

iperf3 3.12 sends one datagram per system call and its receiver is woken for every few datagrams, so over a
bare veth it measures its own overheads. UdpLoad sends 64 datagrams per sendmmsg call; its receiver reads
batches with recvmmsg and polls (1 ms sleeps when empty) instead of being woken. It runs like the iperf3
loads: the receiver in namespace b bound to the scenario's target address, the sender in namespace a, the
same duration for every scenario, and the daemons' CPU seconds read from /proc right before the sender
starts and right after the receiver has stopped.

Figures: kpps and Gbit/s are the receiver's (datagrams and payload bytes over its first-to-last-datagram
time); loss = 1 - received / sent, from the two tools' own counts. Where the loss happened is in the raw
record: the kernel drop counters that moved during the load (kstats.py).
"""

import json
import subprocess
import time

import dotnettool
import kstats
from netns import HarnessError, cpu_seconds

UDPLOAD_PORT = 5202
BATCH = 64
RECV_POLL_MS = 1   # the receiver polls (udpload.cs --poll-ms): no wake-up cost for whoever delivers
DEFAULT_DLL = dotnettool.default_dll("UdpLoad")
DRAIN_SECONDS = 3.0   # after the sender ends: the receiver stops itself after 1 s of silence, or is stopped here


def command(path):
    return dotnettool.command("UdpLoad", path, "--udpload")


def build(log):
    return dotnettool.build("UdpLoad", log)


def _endpoint(addr, port):
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def _wait_bound(tb, port, receiver, seconds=15.0):
    # The dotnet host takes a moment to start (longer on a loaded 2-core VM); the socket is bound before recv loops.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if receiver.poll() is not None:
            _, err = receiver.communicate()
            raise HarnessError(f"UdpLoad receiver exited early ({receiver.returncode}): "
                               f"{err.decode(errors='replace').strip()[:400]}")
        r = tb.exec_("b", "ss", "-Hlun", f"sport = :{port}", timeout=10, check=False)
        if r.stdout.strip():
            return
        time.sleep(0.05)
    raise HarnessError(f"UdpLoad receiver did not bind port {port} within {seconds} s")


def _report(name, proc, out, err, ok_codes=(0,)):
    if proc.returncode not in ok_codes:
        raise HarnessError(f"UdpLoad {name} exited {proc.returncode}: {err.decode(errors='replace').strip()[:400]}")
    try:
        return json.loads(out.decode("utf-8", errors="replace"))
    except ValueError as e:
        raise HarnessError(f"UdpLoad {name} printed no JSON (exit {proc.returncode}): "
                           f"{err.decode(errors='replace').strip()[:400]}") from e


def parse(sent, received):
    """Metrics from the sender's and the receiver's JSON reports (dicts)."""
    n_sent, n_recv = sent.get("datagrams", 0), received.get("datagrams", 0)
    loss = 100.0 * (1.0 - n_recv / n_sent) if n_sent else 100.0
    return {
        "kpps": received.get("pps", 0.0) / 1e3,
        "gbps": received.get("gbps", 0.0),
        "loss_pct": min(100.0, max(0.0, loss)),
    }


def measure(procs, tb, load, target, seconds, daemons, tool, port=UDPLOAD_PORT):
    """Runs one UdpLoad load; returns (metrics dict, raw summaries). daemons: [(side, pid)] for CPU; tool: argv prefix."""
    endpoint = _endpoint(target, port)
    # The receiver's own bound is generous; the harness stops it DRAIN_SECONDS after the sender if it is still there.
    receiver = procs.start(["ip", "netns", "exec", tb.ns("b"), *tool, "recv", "--bind", endpoint,
                            "--seconds", str(seconds + 30), "--batch", str(BATCH), "--poll-ms", str(RECV_POLL_MS)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_bound(tb, port, receiver)
        counters = kstats.snapshot(tb)
        cpu_before = {side: cpu_seconds(pid) for side, pid in daemons}
        sender = procs.start(["ip", "netns", "exec", tb.ns("a"), *tool, "send", "--to", endpoint,
                              "--size", str(load.payload), "--seconds", str(seconds), "--batch", str(BATCH)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            s_out, s_err = sender.communicate(timeout=seconds + 20)
        except subprocess.TimeoutExpired as e:
            procs.stop(sender, grace=2.0)
            raise HarnessError(f"UdpLoad sender did not finish within {seconds + 20} s") from e
        procs.stop(sender)
        try:
            r_out, r_err = receiver.communicate(timeout=DRAIN_SECONDS)
        except subprocess.TimeoutExpired:
            # Nothing arrived (or it still trickles in): SIGTERM makes it print what it counted and exit 130.
            procs.stop(receiver, grace=5.0)
            r_out, r_err = receiver.communicate()
        cpu_after = {side: cpu_seconds(pid) for side, pid in daemons}
        drops = kstats.delta(counters, kstats.snapshot(tb))
        sent = _report("sender", sender, s_out, s_err)
        received = _report("receiver", receiver, r_out, r_err, ok_codes=(0, 130))
        metrics = parse(sent, received)
        for side, _ in daemons:
            if cpu_before[side] is not None and cpu_after[side] is not None:
                metrics[f"cpu_{side}_s"] = cpu_after[side] - cpu_before[side]
        return metrics, {"sender": sent, "receiver": received, "kernel_drops": drops}
    finally:
        procs.stop(receiver, grace=2.0)
