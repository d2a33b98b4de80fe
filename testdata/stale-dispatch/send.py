#!/usr/bin/env python3
"""Send one probe packet (IPv4 or IPv6) for the doctor's stale-dispatch test (stdlib only).

Usage: send.py tcp|udp|icmp|icmpv6 SRC DST SPORT DPORT
  tcp:  a SYN from SRC:SPORT to DST:DPORT (a non-blocking connect, abandoned at once)
  udp:  a datagram from SRC:SPORT to DST:DPORT
  icmp, icmpv6: an echo request from SRC to DST (SPORT, DPORT unused)
"""
import socket
import struct
import sys
import time


def main():
    proto, src, dst = sys.argv[1], sys.argv[2], sys.argv[3]
    sport, dport = int(sys.argv[4]), int(sys.argv[5])
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    if proto == "tcp":
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, sport))
        s.setblocking(False)
        s.connect_ex((dst, dport))
        time.sleep(0.3)
        s.close()
    elif proto == "udp":
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((src, sport))
        s.sendto(b"nfdiff-probe", (dst, dport))
    elif proto in ("icmp", "icmpv6"):
        if fam == socket.AF_INET6:
            s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
            s.bind((src, 0))
            # the kernel fills in the ICMPv6 checksum
            s.sendto(struct.pack("!BBHHH", 128, 0, 0, 1, 1) + b"nfdiff-probe", (dst, 0))
        else:
            s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            s.bind((src, 0))
            body = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"nfdiff-probe"
            total = sum(struct.unpack("!%dH" % (len(body) // 2), body))
            while total >> 16:
                total = (total & 0xFFFF) + (total >> 16)
            c = (~total) & 0xFFFF
            s.sendto(body[:2] + struct.pack("!H", c) + body[4:], (dst, 0))
    else:
        sys.exit("send.py: protocol must be tcp, udp, icmp or icmpv6")


main()
