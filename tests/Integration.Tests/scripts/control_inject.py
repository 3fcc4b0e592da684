#!/usr/bin/env python3
"""Sends hostile datagrams at a daemon's command port (MPT-SPEC §4.2 layout), a fixed number of each kind.

  control_inject.py SRC DST PORT LOCAL_TUNNEL REMOTE_TUNNEL
      SRC: source address to bind (ephemeral port), DST:PORT: the daemon's command port,
      LOCAL_TUNNEL/REMOTE_TUNNEL: the tunnel pair as the sender (the daemon's peer) sees it.
Prints one line per kind sent: "<kind> <count>".
"""
import os, socket, sys

def a16(addr):
    if ":" in addr:
        return socket.inet_pton(socket.AF_INET6, addr)
    return b"\0" * 10 + b"\xff\xff" + socket.inet_aton(addr)

def header(cmd, param, auth, sh, auth_block, rnd, ipver, local, remote):
    return bytes([cmd, param, auth, sh]) + auth_block + bytes([rnd, ipver, 0, 0]) + a16(local) + a16(remote)

def main():
    src, dst, port, local, remote = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    ipver = 6 if ":" in local else 4
    s = socket.socket(socket.AF_INET6 if ":" in src else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    status_body = a16("198.18.1.2") + a16("198.18.1.1")
    kinds = {
        # shorter than sh + 40 bytes
        "truncated": [b"\xa2", b"\xa2\x00\x00\x00" + b"\x01" * 20],
        # command byte outside 0xA1..0xA3
        "unknown_command": [header(0xA9, 0, 0, 0, b"", 1, ipver, local, remote) + b"\x20\0\0\0",
                            header(0xA6, 0, 0, 0, b"", 1, ipver, local, remote) + b"\x20\0\0\0"],
        # SHA-256 with a random digest
        "bad_auth": [header(0xA2, 0x80, 2, 36, os.urandom(36), 1, ipver, local, remote) + b"\x20\0\0\0" for _ in range(3)],
        # round 3 without a round 1
        "round_out_of_order": [header(0xA2, 0x80, 0, 0, b"", 3, ipver, local, remote) + status_body],
        # round 7, IP version 5
        "bad_header": [header(0xA2, 0x80, 0, 0, b"", 7, ipver, local, remote) + b"\x20\0\0\0",
                       header(0xA2, 0x80, 0, 0, b"", 1, 5, local, remote) + b"\x20\0\0\0"],
        # garbage
        "random": [os.urandom(n) for n in (1, 7, 39, 40, 41, 200)],
    }
    for kind, datagrams in kinds.items():
        for d in datagrams:
            s.sendto(d, (dst, port))
        print(kind, len(datagrams))

if __name__ == "__main__":
    main()
