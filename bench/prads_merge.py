#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes one Ethernet pcap of every Ethernet capture in a directory (pcap or pcapng), in
file-name order, repeated --repeat times: the input of bench/prads_bench.sh. Timestamps are kept
within a pass and shifted by a day per pass, so each pass is later than the one before."""
import argparse
import os
import sys

import dpkt


def packets(path):
    with open(path, "rb") as f:
        try:
            r = dpkt.pcap.Reader(f)
        except ValueError:
            f.seek(0)
            try:
                r = dpkt.pcapng.Reader(f)
            except ValueError:
                return
        if r.datalink() != dpkt.pcap.DLT_EN10MB:
            return
        try:
            for ts, buf in r:
                yield ts, buf
        except (dpkt.dpkt.NeedData, dpkt.dpkt.UnpackError, ValueError):
            return


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("dir")
    ap.add_argument("out")
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    files = sorted(os.path.join(a.dir, f) for f in os.listdir(a.dir)
                   if f.endswith((".pcap", ".pcapng", ".cap")))
    n = 0
    with open(a.out, "wb") as f:
        w = dpkt.pcap.Writer(f, snaplen=65535, linktype=dpkt.pcap.DLT_EN10MB)
        for rep in range(a.repeat):
            for path in files:
                for ts, buf in packets(path):
                    t = ts + rep * 86400
                    if not 0 <= t < 2**32:
                        continue  # a fuzzed capture's timestamp pcap cannot hold
                    w.writepkt(buf, ts=t)
                    n += 1
    print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
