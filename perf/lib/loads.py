"""One bounded iperf3 measurement: a one-off server in namespace b, the client in namespace a.

Figures come from the client's JSON (-J), which carries the receiver's view as well:
TCP goodput = end.sum_received.bits_per_second; UDP datagrams received = the receiver's bytes /
payload over the receiver's seconds. CPU of each daemon is utime+stime from /proc/PID/stat read just before and
just after the client runs.
"""

import json
import os
import subprocess
import sys
import time

from netns import HarnessError, cpu_seconds

IPERF_PORT = 5201


def _wait_listening(tb, port, server, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise HarnessError(f"iperf3 server exited early ({server.returncode})")
        r = tb.exec_("b", "ss", "-Hltn", f"sport = :{port}", timeout=10, check=False)
        if r.stdout.strip():
            return
        time.sleep(0.05)
    raise HarnessError(f"iperf3 server did not listen on port {port} within {seconds} s")


# TCP congestion control of the TCP loads (iperf3 -C), None = the namespace's default (bbr on this kernel).
CONGESTION = None

# iperf3's report interval in seconds (-i); None = its default, 1 s. Shorter intervals also record the first stream's
# window and smoothed RTT per interval (intervals_tcp), for slow starts and loss episodes.
INTERVAL = None


def _client_args(load, target, seconds, omit, port):
    args = ["iperf3", "-c", target, "-p", str(port), "-t", str(seconds), "-J", "--connect-timeout", "3000"]
    if load.proto == "tcp" and CONGESTION:
        args += ["-C", CONGESTION]
    if INTERVAL:
        args += ["-i", f"{INTERVAL:g}"]
    if load.proto == "tcp":
        if omit:   # skip slow start; not for UDP, where --omit breaks iperf3 3.12's loss accounting
            args += ["-O", str(omit)]
        args += ["-P", str(load.streams)]
    else:
        # -b 0: as fast as the sender can; -w: a 4 MiB socket buffer so the receiving iperf3,
        # not its socket queue, is what limits the rate on an unshaped path.
        args += ["-u", "-b", "0", "-l", str(load.payload), "-w", "4M"]
    return args


def parse_iperf(load, data):
    """Metrics of one iperf3 -J client report (dict). Raises HarnessError on an iperf3 error."""
    if "error" in data:
        raise HarnessError("iperf3: " + str(data["error"]))
    end = data.get("end", {})
    if load.proto == "tcp":
        recv = end.get("sum_received") or {}
        sent = end.get("sum_sent") or {}
        if "bits_per_second" not in recv:
            raise HarnessError("iperf3 report without end.sum_received")
        return {
            "gbps": recv["bits_per_second"] / 1e9,
            "retransmits": float(sent.get("retransmits", 0)),
        }
    recv = end.get("sum_received") or {}
    sent = end.get("sum_sent") or end.get("sum") or {}
    if "bytes" not in recv or not recv.get("seconds"):
        raise HarnessError("iperf3 UDP report without end.sum_received")
    # Datagrams received = the receiver's byte count / payload. (iperf3 3.12's lost_packets is wrong
    # after --omit and under heavy loss: it can exceed the packets sent; the byte count is not.)
    received = recv["bytes"] / load.payload
    sent_packets = sent.get("packets") or 0
    loss = 100.0 * (1.0 - received / sent_packets) if sent_packets else 0.0
    return {
        "kpps": received / recv["seconds"] / 1e3,
        "gbps": recv["bytes"] * 8 / recv["seconds"] / 1e9,
        "loss_pct": min(100.0, max(0.0, loss)),
    }


def _intervals_mbit(data):
    """The sending rate of each interval (1 s unless --interval) in Mbit/s as the iperf3 client reports it, the omitted ones included,
    so a run's dips (a loss episode, a step, an outage) can be read from the results."""
    out = []
    for interval in data.get("intervals", []):
        total = interval.get("sum", {})
        if "bits_per_second" in total:
            out.append(round(total["bits_per_second"] / 1e6, 2))
    return out


def _intervals_tcp(data):
    """Per interval: [Mbit/s of all streams, retransmits, window KB, smoothed RTT ms] — the last three of the first
    stream, as the sender's kernel reported them at the interval's end."""
    out = []
    for interval in data.get("intervals", []):
        streams = interval.get("streams") or [{}]
        first = streams[0]
        out.append([round(interval.get("sum", {}).get("bits_per_second", 0) / 1e6, 1), first.get("retransmits", 0),
                    first.get("snd_cwnd", 0) // 1000, round(first.get("rtt", 0) / 1000, 1)])
    return out


TRANSFER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "transfer.py")


def measure_transfer(procs, tb, load, target, port=IPERF_PORT, wrap=()):
    """One short transfer (perf/lib/transfer.py): load.nbytes from namespace a to b on a new connection; returns
    (metrics, raw) with done_ms, the time from connect() to the receiver's answer after the last byte."""
    server = procs.start(["ip", "netns", "exec", tb.ns("b"), *wrap, sys.executable, TRANSFER, "serve", str(port)])
    try:
        _wait_listening(tb, port, server)
        cmd = [sys.executable, TRANSFER, "send", target, str(port), str(load.nbytes)] + ([CONGESTION] if CONGESTION else [])
        code, out, err = _run_client(procs, ["ip", "netns", "exec", tb.ns("a"), *wrap, *cmd], 60, "transfer")
        try:
            done = json.loads(out.decode("utf-8", errors="replace"))["ms"]
        except (ValueError, KeyError) as e:
            raise HarnessError(f"transfer exited {code}: {err.decode(errors='replace').strip()[:400]}") from e
        return {"done_ms": done}, {"done_ms": done}
    finally:
        _end_server(procs, server)


def _run_client(procs, cmd, timeout, what):
    """Runs a load's client to its end (at most timeout s); returns (exit code, stdout, stderr)."""
    client = procs.start(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = client.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as e:
        procs.stop(client, grace=2.0)
        raise HarnessError(f"{what} did not finish within {timeout} s") from e
    procs.stop(client)
    return client.returncode, out, err


def _end_server(procs, server):
    """A one-off server exits after its one client; stop() only acts if it is still there."""
    try:
        server.wait(3)
    except subprocess.TimeoutExpired:
        pass
    procs.stop(server, grace=2.0)


def measure(procs, tb, load, target, seconds, daemons=(), omit=0, port=IPERF_PORT, wrap=()):
    """Runs one load; returns (metrics dict, raw iperf3 summary). daemons: [(side, pid)] for CPU; wrap: a command
    prefix for both iperf3s (mptcpize run)."""
    server = procs.start(["ip", "netns", "exec", tb.ns("b"), *wrap, "iperf3", "-s", "-1", "-p", str(port)])
    try:
        _wait_listening(tb, port, server)
        cpu_before = {side: cpu_seconds(pid) for side, pid in daemons}
        code, out, err = _run_client(procs, ["ip", "netns", "exec", tb.ns("a"), *wrap, *_client_args(load, target, seconds, omit, port)],
                                     seconds + omit + 20, "iperf3 client")
        cpu_after = {side: cpu_seconds(pid) for side, pid in daemons}
        try:
            data = json.loads(out.decode("utf-8", errors="replace"))
        except ValueError as e:
            raise HarnessError(f"iperf3 client exited {code} without JSON: "
                               f"{err.decode(errors='replace').strip()[:400]}") from e
        metrics = parse_iperf(load, data)
        for side, _ in daemons:
            if cpu_before[side] is not None and cpu_after[side] is not None:
                metrics[f"cpu_{side}_s"] = cpu_after[side] - cpu_before[side]
        raw = {"cpu_utilization_percent": data.get("end", {}).get("cpu_utilization_percent"),
               "intervals_mbit": _intervals_mbit(data)}
        if INTERVAL and load.proto == "tcp":
            raw["intervals_tcp"] = _intervals_tcp(data)
        return metrics, raw
    finally:
        _end_server(procs, server)   # -1: the server exits after its one test
