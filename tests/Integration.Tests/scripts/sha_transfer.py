#!/usr/bin/env python3
"""Bounded TCP transfer with an end-to-end SHA-256, for the tunnel integration tests.

  sha_transfer.py recv ADDR PORT TIMEOUT_S            -> prints "<bytes> <sha256>" of everything received
  sha_transfer.py send ADDR PORT BYTES SEED TIMEOUT_S -> sends BYTES deterministic pseudo-random bytes,
                                                          prints "<bytes> <sha256>" of what it sent
Both sides stop by themselves: the receiver after TIMEOUT_S without a connection or data, the sender
after TIMEOUT_S in total. The sender's TCP congestion control is the namespace's default, or $SHA_TRANSFER_CC
(e.g. cubic; needs CAP_NET_ADMIN for one outside net.ipv4.tcp_allowed_congestion_control).
"""
import hashlib, os, random, socket, sys, time

def recv(addr, port, timeout):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port)); s.listen(1); s.settimeout(timeout)
        print("listening", flush=True, file=sys.stderr)
        c, _ = s.accept()
        c.settimeout(timeout)
        h, n = hashlib.sha256(), 0
        with c:
            while True:
                b = c.recv(1 << 20)
                if not b:
                    break
                h.update(b); n += len(b)
    print(n, h.hexdigest(), flush=True)

def send(addr, port, total, seed, timeout):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    rnd = random.Random(seed)
    block = bytes(rnd.getrandbits(8) for _ in range(1 << 16))
    h, n = hashlib.sha256(), 0
    deadline = time.monotonic() + timeout
    cc = os.environ.get("SHA_TRANSFER_CC")
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        if cc:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
        s.settimeout(10)
        s.connect((addr, port))
        s.settimeout(max(1.0, deadline - time.monotonic()))
        i = 0
        while n < total:
            if time.monotonic() > deadline:
                sys.exit("send: timeout after %d bytes" % n)
            # vary the block so the stream is not periodic
            chunk = block[i % 997:] + block[:i % 997]
            chunk = chunk[: min(len(chunk), total - n)]
            s.sendall(chunk); h.update(chunk); n += len(chunk); i += 1
        s.shutdown(socket.SHUT_WR)
        s.settimeout(timeout)
        while s.recv(65536):
            pass
    print(n, h.hexdigest(), flush=True)

if __name__ == "__main__":
    if sys.argv[1] == "recv":
        recv(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]))
