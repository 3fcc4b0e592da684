#!/usr/bin/env python3
"""A hostile sender for the soak (issue 14 item 5): mutated MPT datagrams at a daemon's data and command ports, from a
source address the daemon trusts (its peer's path address, another source port: MPT-SPEC §2.6 step 3 checks only
the address), so they reach the decoders instead of the unknown-source drop. Bounded: SECONDS at PPS.

  hostile.py SRC DST DATA_PORT CMD_PORT SECONDS PPS SEED VECTOR_DIR

Seeds are the byte-exact captures of VECTOR_DIR/*.hex (data, keepalives, control, CLI). Each datagram is one seed
mutated by one of: bit flips, boundary bytes, truncation, random tail, splice of two seeds, a changed GRE flag or
command byte, or pure random bytes. Datagrams alternate between the two ports. Prints one JSON line at the end:
{"data": N, "command": N, "by_mutation": {...}}.
"""
import glob, json, os, random, re, socket, sys, time


def load_vector(path):
    text = "".join(line.split("#", 1)[0] for line in open(path, encoding="utf-8"))
    return bytes.fromhex(re.sub(r"\s+", "", text))


def flip_bits(r, b, _):
    b = bytearray(b)
    for _ in range(r.randint(1, 8)):
        if b:
            b[r.randrange(len(b))] ^= 1 << r.randrange(8)
    return bytes(b)


def boundary(r, b, _):
    b = bytearray(b)
    for _ in range(r.randint(1, 4)):
        if b:
            b[r.randrange(len(b))] = r.choice((0x00, 0xFF, 0x7F, 0x80, 0x01, 0xA0, 0xA1, 0xA2))
    return bytes(b)


def truncate(r, b, _):
    return b[:r.randrange(len(b) + 1)]


def random_tail(r, b, _):
    return b + r.randbytes(r.randint(1, 600))


def splice(r, b, seeds):
    other = r.choice(seeds)
    return b[:r.randrange(len(b) + 1)] + other[r.randrange(len(other) + 1):]


def header_byte(r, b, _):
    # byte 0 (GRE flags / command), 2-3 (GRE protocol) or 4 (first payload byte: data vs command)
    b = bytearray(b)
    if b:
        b[r.choice([i for i in (0, 1, 2, 3, 4) if i < len(b)])] = r.randrange(256)
    return bytes(b)


def pure_random(r, _b, _):
    return r.randbytes(r.randint(0, 1500))


MUTATIONS = [flip_bits, boundary, truncate, random_tail, splice, header_byte, pure_random]


def main(argv):
    if len(argv) != 8:
        sys.exit(__doc__)
    src, dst, data_port, cmd_port, seconds, pps, seed, vectors = argv
    data_port, cmd_port, seconds, pps = int(data_port), int(cmd_port), float(seconds), float(pps)
    seeds = [load_vector(p) for p in sorted(glob.glob(os.path.join(vectors, "*.hex")))]
    if not seeds:
        sys.exit(f"hostile: no .hex seeds in {vectors}")
    r = random.Random(int(seed))
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    counts = {"data": 0, "command": 0}
    by = {m.__name__: 0 for m in MUTATIONS}
    start = time.monotonic()
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.bind((src, 0))
        s.setblocking(False)
        sent = answers = 0
        while time.monotonic() - start < seconds:
            due = int((time.monotonic() - start) * pps) + 1
            while sent < due:
                m = r.choice(MUTATIONS)
                d = m(r, r.choice(seeds), seeds)[:1600]
                port, kind = (data_port, "data") if sent % 2 == 0 else (cmd_port, "command")
                try:
                    s.sendto(d, (dst, port))
                    counts[kind] += 1
                    by[m.__name__] += 1
                except (BlockingIOError, ConnectionRefusedError, OSError):
                    pass   # path down, full buffer or an ICMP error: not sent, not counted
                sent += 1
            answers += drain(s)
            time.sleep(min(0.02, max(0.0, start + sent / pps - time.monotonic())))
        answers += drain(s)
    print(json.dumps({**counts, "answers": answers, "by_mutation": by}), flush=True)


def drain(s):
    """Reads what came back (a daemon's answers to the mutated control messages), so that nothing is left to overflow
    this socket's receive buffer and count as a kernel drop in the namespace."""
    n = 0
    while True:
        try:
            s.recv(65536)
            n += 1
        except (BlockingIOError, InterruptedError):
            return n
        except OSError:
            continue   # a pending ICMP error, reported once and cleared: read on



if __name__ == "__main__":
    main(sys.argv[1:])
