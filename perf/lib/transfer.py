"""A short TCP transfer's completion time, the perf harness's `short256k` load (perf/README.md).

    transfer.py serve PORT          accept one connection on PORT (IPv4 and IPv6), read it to its end, answer one byte
    transfer.py send HOST PORT N [CC]
                                    connect (congestion control CC, e.g. cubic), send N bytes, shut down the sending
                                    side, wait for that byte; print {"ms": time from connect() to the answer} as JSON

The time is what an application waits for an upload of N bytes to be acknowledged by its peer: the connection's
handshake, slow start, every byte delivered in order to the receiving application, and the one-byte answer's way back.
Under `mptcpize run` both ends are MPTCP sockets. Bounded: 30 s on every socket operation.
"""

import json
import socket
import sys
import time

TIMEOUT_S = 30.0


def serve(port):
    with socket.create_server(("", port), family=socket.AF_INET6, dualstack_ipv6=True) as listener:
        listener.settimeout(TIMEOUT_S)
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(TIMEOUT_S)
            while conn.recv(1 << 16):
                pass
            conn.sendall(b"\x01")


def send(host, port, nbytes, congestion=None):
    payload = bytes(nbytes)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as conn:
        conn.settimeout(TIMEOUT_S)
        if congestion:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, congestion.encode("ascii"))
        start = time.monotonic()
        conn.connect((host, port))
        conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)
        if conn.recv(1) != b"\x01":
            raise SystemExit("transfer: the receiver closed without its answer")
    print(json.dumps({"ms": (time.monotonic() - start) * 1e3, "bytes": nbytes}), flush=True)


def main(argv):
    if len(argv) == 2 and argv[0] == "serve":
        serve(int(argv[1]))
    elif len(argv) in (4, 5) and argv[0] == "send":
        send(argv[1], int(argv[2]), int(argv[3]), argv[4] if len(argv) == 5 else None)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
