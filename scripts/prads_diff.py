#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Differential test of s6-prads against Debian's prads 0.3.3, capture by capture.

For every capture, runs the real `prads -r CAPTURE -l LOG -c CONF` and
`s6-prads -r CAPTURE -l LOG -c CONF` into fresh logs and compares the asset records as multisets
(the header line excluded; the order of lines is not compared): matched, missing (prads logged it,
s6-prads did not) and extra (s6-prads logged it, prads did not). Captures whose link type is not
Ethernet are compared too: prads reads them as Ethernet and finds nothing; s6-prads refuses them
(exit status 2) and so logs nothing.

  scripts/prads_diff.py --s6 build/bin/s6-prads [--conf FILE] [--json OUT] CAPTURE|DIR ...
      [--min-match 0.99] [--max-extra 0] [--show N]

Prints one line per capture with a difference and the totals; exits 1 if the match ratio is below
--min-match or there are more extra records than --max-extra.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

HEADER = "asset,vlan,port,proto,service,[service-info],distance,discovered"


def records(path):
    if not os.path.exists(path):
        return collections.Counter()
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return collections.Counter(
            line.rstrip("\n") for line in f if line.strip() and line.rstrip("\n") != HEADER)


def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=timeout, check=False)
        return p.returncode, p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return -1, "timeout"


def captures(args):
    out = []
    for a in args:
        if os.path.isdir(a):
            out += [os.path.join(a, f) for f in sorted(os.listdir(a))
                    if f.endswith((".pcap", ".pcapng", ".cap"))]
        else:
            out.append(a)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--s6", required=True, help="the s6-prads binary")
    ap.add_argument("--prads", default="prads", help="the reference prads binary")
    ap.add_argument("--conf", default="/etc/prads/prads.conf", help="prads.conf for both")
    ap.add_argument("--json", help="write per-capture results here")
    ap.add_argument("--min-match", type=float, default=0.0)
    ap.add_argument("--max-extra", type=int, default=-1)
    ap.add_argument("--show", type=int, default=3, help="differing records shown per capture")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("captures", nargs="+")
    a = ap.parse_args()

    results = []
    tot = collections.Counter()
    with tempfile.TemporaryDirectory(prefix="prads-diff-") as tmp:
        for cap in captures(a.captures):
            ref_log = os.path.join(tmp, "ref.log")
            s6_log = os.path.join(tmp, "s6.log")
            for p in (ref_log, s6_log):
                if os.path.exists(p):
                    os.remove(p)
            # No -q: prads's ICMP field depends on its heap layout, which its flags change.
            ref_rc, _ = run([a.prads, "-r", cap, "-l", ref_log, "-c", a.conf], a.timeout)
            s6_rc, s6_err = run([a.s6, "-r", cap, "-l", s6_log, "-c", a.conf, "-q"], a.timeout)
            ref, got = records(ref_log), records(s6_log)
            matched = sum((ref & got).values())
            missing = ref - got
            extra = got - ref
            r = {"capture": os.path.basename(cap), "prads_records": sum(ref.values()),
                 "s6_records": sum(got.values()), "matched": matched,
                 "missing": sum(missing.values()), "extra": sum(extra.values()),
                 "prads_exit": ref_rc, "s6_exit": s6_rc,
                 "missing_records": sorted(missing.elements())[:a.show],
                 "extra_records": sorted(extra.elements())[:a.show]}
            if s6_rc not in (0, 2):
                r["s6_error"] = s6_err.strip().splitlines()[-1:] if s6_err else []
            results.append(r)
            for k in ("prads_records", "s6_records", "matched", "missing", "extra"):
                tot[k] += r[k]
            tot["captures"] += 1
            if r["missing"] or r["extra"] or s6_rc not in (0, 2):
                print(f"{r['capture']}: prads {r['prads_records']} s6 {r['s6_records']} "
                      f"matched {matched} missing {r['missing']} extra {r['extra']}"
                      f" (s6-prads exit {s6_rc})")
                for line in r["missing_records"]:
                    print(f"   - {line}")
                for line in r["extra_records"]:
                    print(f"   + {line}")
    ratio = tot["matched"] / tot["prads_records"] if tot["prads_records"] else 1.0
    summary = {"config": a.conf, "captures": tot["captures"],
               "prads_records": tot["prads_records"], "s6_records": tot["s6_records"],
               "matched": tot["matched"], "missing": tot["missing"], "extra": tot["extra"],
               "match_ratio": round(ratio, 5)}
    print(json.dumps(summary))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"summary": summary, "captures": results}, f, indent=1)
    ok = ratio >= a.min_match and (a.max_extra < 0 or tot["extra"] <= a.max_extra)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
