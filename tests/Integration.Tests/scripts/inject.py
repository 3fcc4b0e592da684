#!/usr/bin/env python3
"""Sends hostile or replayed datagrams at a daemon's data port (bounded: a fixed count).

  inject.py unknown-source SRC DST PORT N   N valid GRE/IPv4 packets from SRC (not the path's remote)
  inject.py malformed SRC DST PORT N        N malformed GRE headers from SRC (version 1, reserved bits, truncated...)
  inject.py replay SRC DST PORT VECTOR...   the UDP payloads of test vectors (.hex files), from SRC port PORT
"""
import re, socket, struct, sys

def udp(src, sport=0):
    s = socket.socket(socket.AF_INET6 if ":" in src else socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    return s

def ipv4_icmp(src, dst):
    payload = struct.pack("!BBHHH", 8, 0, 0, 0x4d50, 1) + b"MPT test vector!"
    csum = checksum(payload)
    payload = payload[:2] + struct.pack("!H", csum) + payload[4:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x1234, 0x4000, 64, 1, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + payload

def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def load_vector(path):
    text = "".join(line.split("#", 1)[0] for line in open(path))
    return bytes.fromhex(re.sub(r"\s+", "", text))

def main():
    mode, src, dst, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if mode == "unknown-source":
        s = udp(src)
        for _ in range(int(sys.argv[5])):
            s.sendto(b"\x00\x00\x08\x00" + ipv4_icmp("198.19.0.2", "198.19.0.1"), (dst, port))
    elif mode == "malformed":
        s = udp(src)
        inner = ipv4_icmp("198.19.0.2", "198.19.0.1")
        bad = [
            b"\x00\x01\x08\x00" + inner,          # GRE version 1
            b"\x00\x40\x08\x00" + inner,          # reserved0 bits set
            b"\x10\x00\x08",                      # truncated header
            b"\x10\x00\x08\x00\x00\x00",          # S bit set, sequence truncated
            b"\x00\x00\x12\x34" + inner,          # unknown protocol type
            b"\x00\x00\x08\x00" + b"\x55" * 20,   # inner version 5
            b"\x00\x00\x08\x00",                  # no payload
        ]
        n = int(sys.argv[5])
        for i in range(n):
            s.sendto(bad[i % len(bad)], (dst, port))
    elif mode == "replay":
        s = udp(src, port)
        for path in sys.argv[5:]:
            s.sendto(load_vector(path), (dst, port))
    else:
        sys.exit("unknown mode " + mode)

if __name__ == "__main__":
    main()
