#!/usr/bin/env python3
"""An independent RFC 8086 GRE-in-UDP peer built with scapy, for interoperability tests.

  scapy_peer.py LOCAL PORT REMOTE INNER_LOCAL INNER_REMOTE COUNT DURATION_S

Binds LOCAL:PORT, and for DURATION_S seconds (bounded):
  - sends COUNT ICMP echo requests INNER_LOCAL -> INNER_REMOTE as GRE(proto 0x0800)/IPv4 in UDP to REMOTE:PORT;
  - answers every GRE-encapsulated ICMP echo request it receives (for INNER_LOCAL) with a GRE-encapsulated reply;
Prints one line "replies=<echo replies received> answered=<requests answered> bad=<undecodable datagrams>".
"""
import socket, sys, time
from scapy.all import GRE, IP, ICMP, Raw, raw

def main():
    local, port, remote, inner_local, inner_remote = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    count, duration = int(sys.argv[6]), float(sys.argv[7])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((local, port))
    s.settimeout(0.1)
    replies = answered = bad = sent = 0
    deadline = time.monotonic() + duration
    next_send = time.monotonic()
    while time.monotonic() < deadline:
        if sent < count and time.monotonic() >= next_send:
            pkt = GRE(proto=0x0800) / IP(src=inner_local, dst=inner_remote, id=0x4d50 + sent) / ICMP(type=8, id=0x5050, seq=sent + 1) / Raw(b"scapy interop!!!")
            s.sendto(raw(pkt), (remote, port))
            sent += 1
            next_send = time.monotonic() + 0.2
        try:
            data, src = s.recvfrom(65535)
        except socket.timeout:
            continue
        try:
            gre = GRE(data)
            if gre.proto != 0x0800 or gre.version != 0:
                bad += 1
                continue
            ip = gre[IP]
            icmp = ip[ICMP]
        except Exception:
            # keepalives (payload 0xA1...) and anything else that is not GRE/IPv4/ICMP
            bad += 1
            continue
        if icmp.type == 0 and icmp.id == 0x5050 and ip.dst == inner_local:
            replies += 1
        elif icmp.type == 8 and ip.dst == inner_local:
            reply = GRE(proto=0x0800) / IP(src=ip.dst, dst=ip.src) / ICMP(type=0, id=icmp.id, seq=icmp.seq) / icmp.payload
            s.sendto(raw(reply), (remote, port))
            answered += 1
        if sent >= count and replies >= count and answered > 0 and time.monotonic() > next_send + 1:
            break
    print("replies=%d answered=%d bad=%d" % (replies, answered, bad), flush=True)

if __name__ == "__main__":
    main()
