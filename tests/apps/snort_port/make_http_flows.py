#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a pcap of N interleaved HTTP/1.1 connections (the Snort cluster test's input): each
is a full TCP conversation — handshake, a request whose User-Agent is split over two segments,
the server's 200 response, FIN/FIN — and the connections advance in lock step, one packet each
per round. Between the requests and the responses, --pause unrelated UDP packets keep the
replay going without touching the connections: a scale event during the pause moves some of
them between their request and their response, however long the new instance takes to start
(within the pause)."""
import argparse
import socket
import struct

import dpkt


def frame(src, dst, sport, dport, seq, ack, flags, payload=b"", mss=False):
    tcp = dpkt.tcp.TCP(sport=sport, dport=dport, seq=seq, ack=ack, flags=flags, win=65535,
                       data=payload)
    if mss:
        tcp.opts = struct.pack("!BBH", 2, 4, 1460)
        tcp.off = 6
    ip = dpkt.ip.IP(src=socket.inet_aton(src), dst=socket.inet_aton(dst), p=dpkt.ip.IP_PROTO_TCP,
                    ttl=64, data=tcp)
    ip.len = len(ip)
    eth = dpkt.ethernet.Ethernet(src=b"\x02\x00\x00\x00\x00\x01", dst=b"\x02\x00\x00\x00\x00\x02",
                                 type=dpkt.ethernet.ETH_TYPE_IP, data=ip)
    return bytes(eth)


def filler(k):
    udp = dpkt.udp.UDP(sport=5000, dport=6000, data=b"pause %d" % k)
    udp.ulen = len(udp)
    ip = dpkt.ip.IP(src=socket.inet_aton("10.9.0.1"), dst=socket.inet_aton("10.9.0.2"),
                    p=dpkt.ip.IP_PROTO_UDP, ttl=64, data=udp)
    ip.len = len(ip)
    eth = dpkt.ethernet.Ethernet(src=b"\x02\x00\x00\x00\x00\x03", dst=b"\x02\x00\x00\x00\x00\x04",
                                 type=dpkt.ethernet.ETH_TYPE_IP, data=ip)
    return bytes(eth)


def connection(i):
    c, s = "10.1.%d.%d" % (i // 200, i % 200 + 1), "10.2.0.%d" % (i % 7 + 1)
    cp, sp = 40000 + i, 80
    cs, ss = 1000 + i * 7919, 5000000 + i * 104729
    req1 = b"GET /s6/%d HTTP/1.1\r\nHost: example.test\r\nUser-Agent: S6-clu" % i
    req2 = b"ster-test\r\nAccept: */*\r\n\r\n"
    body = b"hello %d" % i
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    A, S, F, P = dpkt.tcp.TH_ACK, dpkt.tcp.TH_SYN, dpkt.tcp.TH_FIN, dpkt.tcp.TH_PUSH
    cs1 = cs + 1 + len(req1) + len(req2)
    ss1 = ss + 1 + len(resp)
    return [
        frame(c, s, cp, sp, cs, 0, S, mss=True),
        frame(s, c, sp, cp, ss, cs + 1, S | A, mss=True),
        frame(c, s, cp, sp, cs + 1, ss + 1, A),
        frame(c, s, cp, sp, cs + 1, ss + 1, A | P, req1),
        frame(c, s, cp, sp, cs + 1 + len(req1), ss + 1, A | P, req2),
        frame(s, c, sp, cp, ss + 1, cs1, A),
        frame(s, c, sp, cp, ss + 1, cs1, A | P, resp),
        frame(c, s, cp, sp, cs1, ss1, A),
        frame(c, s, cp, sp, cs1, ss1, F | A),
        frame(s, c, sp, cp, ss1, cs1 + 1, F | A),
        frame(c, s, cp, sp, cs1 + 1, ss1 + 1, A),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out")
    ap.add_argument("--connections", type=int, default=60)
    ap.add_argument("--pause", type=int, default=0, help="UDP packets between requests and responses")
    a = ap.parse_args()
    conns = [connection(i) for i in range(a.connections)]
    t = 1700000000.0
    with open(a.out, "wb") as f:
        w = dpkt.pcap.Writer(f, snaplen=65535, linktype=dpkt.pcap.DLT_EN10MB)
        for step in range(len(conns[0])):
            if step == 5:  # after the requests, before the server's answers
                for k in range(a.pause):
                    w.writepkt(filler(k), ts=t)
                    t += 0.001
            for c in conns:
                w.writepkt(c[step], ts=t)
                t += 0.001
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
