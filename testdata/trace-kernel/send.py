#!/usr/bin/env python3
"""Send one IPv4 probe packet for the nfdiff kernel trace tests (standard library only).

Usage: send.py udp|tcp|icmp SRC DST SPORT DPORT
  udp:  a datagram from SRC:SPORT to DST:DPORT
  tcp:  a bare SYN from SRC:SPORT to DST:DPORT (raw socket; no connection is kept)
  icmp: an echo request to DST with identifier SPORT and sequence DPORT
"""
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def main():
    proto, src, dst, sport, dport = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    if proto == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, sport))
        s.sendto(b"nfdiff-probe", (dst, dport))
    elif proto == "tcp":
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        s.bind((src, 0))
        hdr = struct.pack("!HHIIBBHHH", sport, dport, 0x6E664446, 0, 5 << 4, 0x02, 64240, 0, 0)
        pseudo = struct.pack("!4s4sBBH", socket.inet_aton(src), socket.inet_aton(dst), 0, 6, len(hdr))
        c = csum(pseudo + hdr)
        hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
        s.sendto(hdr, (dst, 0))
    elif proto == "icmp":
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        s.bind((src, 0))
        body = b"nfdiff-probe"
        hdr = struct.pack("!BBHHH", 8, 0, 0, sport, dport) + body
        c = csum(hdr)
        hdr = hdr[:2] + struct.pack("!H", c) + hdr[4:]
        s.sendto(hdr, (dst, 0))
    else:
        sys.exit("send.py: protocol must be udp, tcp or icmp")


main()
