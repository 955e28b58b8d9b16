#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# s6-prads next to Debian's prads 0.3.3 (the reference; scripts/setup.sh installs it):
#  1. prads_crafted.pcap, every detector on and with the default config: the same asset log,
#     line for line and in the same order;
#  2. the differential set (tests/data/pcaps/prads): every capture's records match as a multiset
#     (scripts/prads_diff.py), with both configurations;
#  3. the log is appended to, the header written once, as prads does;
#  4. a capture that is not Ethernet is refused with a clear message, a truncated capture file is
#     an error naming it (exit 2) after the records of its complete packets.
# Usage: prads_reference_test.sh S6_PRADS_BIN SOURCE_DIR
set -euo pipefail
s6=$1
src=$2
data=$src/tests/data/pcaps/prads
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v prads >/dev/null || fail "prads is not installed (scripts/setup.sh installs it)"
printf 'arp=1\nos_icmp=1\nos_udp=1\nos_ack_fingerprint=1\nservice_udp=1\n' > "$tmp/all.conf"

for conf in "$tmp/all.conf" /etc/prads/prads.conf; do
  rm -f "$tmp/ref.log" "$tmp/s6.log"
  prads -r "$data/prads_crafted.pcap" -l "$tmp/ref.log" -c "$conf" > /dev/null 2>&1
  "$s6" -r "$data/prads_crafted.pcap" -l "$tmp/s6.log" -c "$conf" -q 2> "$tmp/s6.err" ||
    fail "s6-prads failed: $(cat "$tmp/s6.err")"
  [ "$(wc -l < "$tmp/ref.log")" -gt 5 ] || fail "prads logged almost nothing with $conf"
  diff "$tmp/ref.log" "$tmp/s6.log" || fail "prads_crafted.pcap with $conf: the logs differ"
  echo "ok: prads_crafted.pcap with $(basename "$conf"): $(($(wc -l < "$tmp/s6.log") - 1)) records, identical"
done

for conf in "$tmp/all.conf" /etc/prads/prads.conf; do
  /usr/bin/python3 "$src/scripts/prads_diff.py" --s6 "$s6" --conf "$conf" --min-match 1.0 \
    --max-extra 0 "$data" > "$tmp/diff.txt" || { cat "$tmp/diff.txt"; fail "differential set, $conf"; }
  echo "ok: differential set with $(basename "$conf"): $(tail -1 "$tmp/diff.txt")"
done

# PRADS appends: a second run adds the same records under the one header.
rm -f "$tmp/twice.log"
for _ in 1 2; do "$s6" -r "$data/prads_crafted.pcap" -l "$tmp/twice.log" -c "$tmp/all.conf" -q 2>/dev/null; done
[ "$(grep -c '^asset,' "$tmp/twice.log")" = 1 ] || fail "the header was written twice"
[ "$(grep -vc '^asset,' "$tmp/twice.log")" = 42 ] || fail "a second run did not append 21 records"
echo "ok: appending"

# A raw-IP capture: refused (PRADS would read it as Ethernet), unless --any-link.
/usr/bin/python3 - "$tmp/raw.pcap" <<'PY'
import struct, sys
ip = bytes.fromhex("450000280001000040067cc9c0000201c0000202") + \
     bytes.fromhex("9c400050000000000000000050022000917c0000")
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
    f.write(struct.pack("<IIII", 1700000000, 0, len(ip), len(ip)) + ip)
PY
set +e
"$s6" -r "$tmp/raw.pcap" -l "$tmp/raw.log" -q 2> "$tmp/raw.err"
rc=$?
set -e
[ $rc = 2 ] || fail "a raw-IP capture: exit $rc, want 2"
grep -q "not Ethernet" "$tmp/raw.err" || fail "no clear message for a raw-IP capture: $(cat "$tmp/raw.err")"
"$s6" -r "$tmp/raw.pcap" -l "$tmp/raw.log" -c "$tmp/all.conf" -q --any-link 2>/dev/null ||
  fail "--any-link did not read the raw-IP capture"
grep -q '^192.0.2.1,0,40000,6,SYN,' "$tmp/raw.log" || fail "--any-link: no SYN record"
echo "ok: link types"

# A capture cut in the middle of a packet: the complete packets' records, then exit 2.
size=$(stat -c %s "$data/prads_crafted.pcap")
head -c $((size - 20)) "$data/prads_crafted.pcap" > "$tmp/cut.pcap"
set +e
"$s6" -r "$tmp/cut.pcap" -l "$tmp/cut.log" -c "$tmp/all.conf" -q 2> "$tmp/cut.err"
rc=$?
set -e
[ $rc = 2 ] || fail "a truncated capture: exit $rc, want 2"
grep -q "cut.pcap" "$tmp/cut.err" || fail "the error does not name the file: $(cat "$tmp/cut.err")"
[ "$(grep -vc '^asset,' "$tmp/cut.log")" -ge 19 ] || fail "records before the cut were lost"
echo "ok: truncated capture"
echo "PASS"
