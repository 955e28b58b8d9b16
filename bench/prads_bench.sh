#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# s6-prads next to Debian's prads on the same capture, in the same run: packets per second of
# each (wall time of `-r CAPTURE`, signature loading included), the median over ROUNDS
# alternating runs, and the ratio s6-prads / prads.
#
#   bench/prads_bench.sh [--s6 build/bin/s6-prads] [--rounds 5] [--repeat 3] [--conf FILE]
#                        [--corpus DIR] [--json OUT]
#
# The capture is every Ethernet capture of the corpus (default ../shared/data/pcaps/ndpi)
# concatenated REPEAT times (bench/prads_merge.py). Both tools log to a fresh file each round;
# s6-prads runs every packet through the object space of one instance.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
s6=$here/build/bin/s6-prads
rounds=5
repeat=3
conf=/etc/prads/prads.conf
corpus=$here/../shared/data/pcaps/ndpi
json=""
while [ $# -gt 0 ]; do
  case $1 in
    --s6) s6=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --conf) conf=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    *) echo "usage: $0 [--s6 BIN] [--rounds N] [--repeat N] [--conf FILE] [--corpus DIR] [--json OUT]" >&2; exit 2 ;;
  esac
done
command -v prads >/dev/null || { echo "prads is not installed (scripts/setup.sh)" >&2; exit 1; }
[ -x "$s6" ] || { echo "no s6-prads at $s6 (build first)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
packets=$(/usr/bin/python3 "$here/bench/prads_merge.py" "$corpus" "$tmp/bench.pcap" --repeat "$repeat")

# Seconds of one run of "$@" (wall clock, ns resolution).
timed() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" > /dev/null 2>&1
  t1=$(date +%s%N)
  echo $(( t1 - t0 ))
}
prads_ns=()
s6_ns=()
for ((i = 0; i < rounds; i++)); do
  rm -f "$tmp/p.log" "$tmp/s.log"
  prads_ns+=("$(timed prads -r "$tmp/bench.pcap" -l "$tmp/p.log" -c "$conf" -q)")
  s6_ns+=("$(timed "$s6" -r "$tmp/bench.pcap" -l "$tmp/s.log" -c "$conf" -q)")
done
records_prads=$(grep -vc '^asset,' "$tmp/p.log" || true)
records_s6=$(grep -vc '^asset,' "$tmp/s.log" || true)
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
mp=$(median "${prads_ns[@]}")
ms=$(median "${s6_ns[@]}")
result=$(jq -n --argjson packets "$packets" --argjson rounds "$rounds" --argjson repeat "$repeat" \
  --arg conf "$conf" --arg corpus "$corpus" --arg cpu "$(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" \
  --arg s6 "$s6" --argjson mp "$mp" --argjson ms "$ms" \
  --argjson rp "$records_prads" --argjson rs "$records_s6" \
  --argjson prads_runs "$(printf '%s\n' "${prads_ns[@]}" | jq -s .)" \
  --argjson s6_runs "$(printf '%s\n' "${s6_ns[@]}" | jq -s .)" \
  '{config: {packets: $packets, corpus: $corpus, repeat: $repeat, rounds: $rounds, conf: $conf,
             cpu: $cpu, s6_prads: $s6},
    prads: {median_s: ($mp / 1e9), pps: ($packets / ($mp / 1e9) | floor), records: $rp, runs_ns: $prads_runs},
    s6_prads: {median_s: ($ms / 1e9), pps: ($packets / ($ms / 1e9) | floor), records: $rs, runs_ns: $s6_runs},
    ratio: (($packets / ($ms / 1e9)) / ($packets / ($mp / 1e9)) * 1000 | round / 1000)}')
echo "$result"
[ -z "$json" ] || echo "$result" > "$json"
