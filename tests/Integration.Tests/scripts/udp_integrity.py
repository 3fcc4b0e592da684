#!/usr/bin/env python3
"""UDP payload integrity through the tunnel: every datagram carries its sequence number and a payload derived from
it, so the receiver can tell a lost datagram from a damaged one. Bounded in time on both sides.

  udp_integrity.py recv ADDR PORT IDLE_S MAX_S
      receives until IDLE_S without a datagram after the first one (or MAX_S in total), then prints one JSON line:
      {"received", "bytes", "corrupt", "duplicates", "out_of_order", "highest_seq", "first_corrupt"}
  udp_integrity.py send ADDR PORT SECONDS PPS SEED [MAX_SIZE]
      sends datagrams of 16..MAX_SIZE bytes (default 1400; sizes vary with the sequence number) at PPS for SECONDS,
      then prints {"sent", "bytes"}

Datagram: seq (8 bytes, big endian) | seed (4) | length of the rest (4) | payload, where payload is the
repetition of sha256(seed || seq) cut to its length. "corrupt" counts datagrams whose header or payload differs
from that derivation (or whose seed is not the sender's): with no corruption, received == sent - lost.
"""
import hashlib, json, socket, struct, sys, time

HEADER = struct.Struct("!QII")


def payload(seed, seq, n):
    block = hashlib.sha256(struct.pack("!IQ", seed, seq)).digest()
    return (block * (n // len(block) + 1))[:n]


def size_of(seq, max_size):
    # 16 .. max_size, spread over the range without a short period (Knuth's multiplicative hash).
    return 16 + (seq * 2654435761 % (max_size - 16 + 1))


def datagram(seed, seq, max_size):
    n = size_of(seq, max_size) - HEADER.size
    return HEADER.pack(seq, seed, n) + payload(seed, seq, n)


def recv(addr, port, idle, max_s):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    seen, received, nbytes, corrupt, dups, ooo, highest, first_corrupt = set(), 0, 0, 0, 0, 0, -1, None
    seed = None
    deadline = time.monotonic() + max_s
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((addr, port))
        print("listening", flush=True, file=sys.stderr)
        s.settimeout(max_s)
        while time.monotonic() < deadline:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            s.settimeout(idle)
            received += 1
            nbytes += len(b)
            ok = len(b) >= HEADER.size
            if ok:
                seq, sd, n = HEADER.unpack_from(b)
                seed = sd if seed is None else seed
                ok = sd == seed and n == len(b) - HEADER.size and b[HEADER.size:] == payload(sd, seq, n)
            if not ok:
                corrupt += 1
                if first_corrupt is None:
                    first_corrupt = b[:64].hex()
                continue
            if seq in seen:
                dups += 1
                continue
            seen.add(seq)
            if seq < highest:
                ooo += 1
            highest = max(highest, seq)
    print(json.dumps({"received": received, "bytes": nbytes, "corrupt": corrupt, "duplicates": dups,
                      "out_of_order": ooo, "highest_seq": highest, "first_corrupt": first_corrupt}), flush=True)


def send(addr, port, seconds, pps, seed, max_size):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    sent = nbytes = 0
    start = time.monotonic()
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.connect((addr, port))
        while True:
            now = time.monotonic()
            if now - start >= seconds:
                break
            due = int((now - start) * pps) + 1   # datagrams that should have left by now
            while sent < due:
                d = datagram(seed, sent, max_size)
                try:
                    s.send(d)
                except (ConnectionRefusedError, BlockingIOError):
                    pass   # an ICMP error from an earlier datagram, or a full buffer: that datagram counts as lost
                sent += 1
                nbytes += len(d)
            time.sleep(min(0.01, max(0.0, start + sent / pps - time.monotonic())))
    print(json.dumps({"sent": sent, "bytes": nbytes}), flush=True)


if __name__ == "__main__":
    if len(sys.argv) >= 6 and sys.argv[1] == "recv":
        recv(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
    elif len(sys.argv) >= 7 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]),
             int(sys.argv[7]) if len(sys.argv) > 7 else 1400)
    else:
        sys.exit(__doc__)
