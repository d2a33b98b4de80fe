#!/usr/bin/env python3
"""Send one IPv4 packet with every header field chosen, for nfdiff's witness kernel tests.

Usage: send_packet.py PROTO SRC DST SPORT DPORT TCPFLAGS ICMPTYPE ICMPCODE IPID
  PROTO     an IP protocol number (6 tcp, 17 udp, 1 icmp, anything else: a bare payload)
  SRC, DST  IPv4 addresses; SRC need not be an address of this host (the IP header is ours)
  SPORT, DPORT  tcp/udp ports (ignored otherwise; for ICMP echo: identifier and sequence)
  TCPFLAGS  the TCP flag byte (e.g. 2 = SYN)
  ICMPTYPE, ICMPCODE  for PROTO 1
  IPID      the IP id (the receivers count only packets with it)
Uses a raw IPPROTO_RAW socket (IP_HDRINCL): the kernel fills in the IP checksum only.
Python standard library only.
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
    if len(sys.argv) != 10:
        sys.exit(__doc__)
    proto = int(sys.argv[1])
    src, dst = sys.argv[2], sys.argv[3]
    sport, dport, flags = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    itype, icode, ipid = int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9])
    s4, d4 = socket.inet_aton(src), socket.inet_aton(dst)
    body = b"nfdiff-witness"
    if proto == 6:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, 0x6E664446, 0, 5 << 4, flags & 0xFF, 64240, 0, 0)
        c = csum(struct.pack("!4s4sBBH", s4, d4, 0, 6, len(l4)) + l4)
        l4 = l4[:16] + struct.pack("!H", c) + l4[18:]
    elif proto == 17:
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(body), 0) + body
        c = csum(struct.pack("!4s4sBBH", s4, d4, 0, 17, len(l4)) + l4) or 0xFFFF
        l4 = l4[:6] + struct.pack("!H", c) + l4[8:]
    elif proto == 1:
        l4 = struct.pack("!BBHHH", itype, icode, 0, sport, dport) + body
        c = csum(l4)
        l4 = l4[:2] + struct.pack("!H", c) + l4[4:]
    else:
        l4 = body
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ipid, 0, 64, proto, 0, s4, d4)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(ip + l4, (dst, 0))


main()
