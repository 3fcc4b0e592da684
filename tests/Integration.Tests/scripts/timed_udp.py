#!/usr/bin/env python3
"""Timestamped UDP probe for the link emulator's timing tests (LinkEmuTests.cs).

  timed_udp.py recv ADDR PORT SECONDS           -> after SECONDS (or 3 s of silence after data), prints one JSON
                                                   object: {"received": [[seq, send_ns, recv_ns], ...]} (recv_ns:
                                                   the kernel's receive stamp, SO_TIMESTAMPNS)
  timed_udp.py send ADDR PORT COUNT INTERVAL_MS SIZE -> sends COUNT datagrams of SIZE bytes, one every INTERVAL_MS
                                                   (absolute schedule, no drift), each carrying its sequence number and
                                                   its CLOCK_MONOTONIC send time; prints {"sent": COUNT}
CLOCK_MONOTONIC is the same in every network namespace, so send and receive times (and LinkEmu's schedule zero) compare.
"""
import json, socket, struct, sys, time

HEADER = struct.Struct("!QQ")
SO_TIMESTAMPNS = 35

def recv(addr, port, seconds):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    got = []
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        # The kernel's receive time (CLOCK_REALTIME) instead of when this process got around to reading it.
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        s.bind((addr, port))
        s.settimeout(0.2)
        print("listening", file=sys.stderr, flush=True)
        end, last = time.monotonic() + seconds, None
        while time.monotonic() < end and (last is None or time.monotonic() - last < 3.0):
            try:
                data, ancillary, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(16))
            except socket.timeout:
                continue
            now = time.monotonic_ns()
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", value[:16])
                    offset = time.clock_gettime_ns(time.CLOCK_REALTIME) - time.monotonic_ns()
                    now = min(now, sec * 1_000_000_000 + nsec - offset)
            seq, sent = HEADER.unpack_from(data)
            got.append([seq, sent, now])
            last = time.monotonic()
    print(json.dumps({"received": got}))

def send(addr, port, count, interval_ms, size):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    pad = b"x" * max(0, size - HEADER.size)
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        start = time.monotonic_ns()
        for seq in range(count):
            due = start + int(seq * interval_ms * 1e6)
            while True:
                left = due - time.monotonic_ns()
                if left <= 0:
                    break
                time.sleep(left / 1e9 if left > 2_000_000 else 0)
            s.sendto(HEADER.pack(seq, time.monotonic_ns()) + pad, (addr, port))
    print(json.dumps({"sent": count}))

if __name__ == "__main__":
    if sys.argv[1] == "recv":
        recv(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]))
