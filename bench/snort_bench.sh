#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole Snort NF (s6-snort: decoding, flows on S6, stream reassembly, HTTP inspection, the
# engine, alert output) with its Hyperscan prefilter next to the same NF with the naive engine
# (every rule verified on every inspection, no prefilter), in the same run, on the same
# capture: packets/s and Mbit/s of each (processing time, rule compilation excluded), the
# median over ROUNDS alternating runs, the ratio, and whether both raised the same alerts.
#
#   bench/snort_bench.sh [--s6 build/bin/s6-snort] [--rounds 3] [--repeat 1] [--corpus DIR]
#                        [--rules FILE] [--json OUT]
#
# The capture is every Ethernet capture of the corpus (default ../shared/data/pcaps/ndpi)
# concatenated REPEAT times (bench/prads_merge.py); every rule of community.rules is enabled.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
s6=$here/build/bin/s6-snort
rounds=3
repeat=1
corpus=$here/../shared/data/pcaps/ndpi
rules=$here/tests/data/snort/community.rules
json=""
while [ $# -gt 0 ]; do
  case $1 in
    --s6) s6=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --rules) rules=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    *) echo "usage: $0 [--s6 BIN] [--rounds N] [--repeat N] [--corpus DIR] [--rules FILE] [--json OUT]" >&2; exit 2 ;;
  esac
done
[ -x "$s6" ] || { echo "no s6-snort at $s6 (build first)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$here/bench/prads_merge.py" "$corpus" "$tmp/bench.pcap" --repeat "$repeat" > /dev/null

# One run: alerts to $tmp/<name>.alerts, counters to $tmp/<name>.json.
one() {
  local name=$1
  shift
  "$s6" -c "$rules" --enable-all-rules -r "$tmp/bench.pcap" -A fast -q \
    --stats-json "$tmp/$name.json" "$@" > "$tmp/$name.alerts" 2> /dev/null
}
pre_ns=()
naive_ns=()
for ((i = 0; i < rounds; i++)); do
  one pre
  pre_ns+=("$(jq .processing_ns "$tmp/pre.json")")
  one naive --naive-engine
  naive_ns+=("$(jq .processing_ns "$tmp/naive.json")")
done
same=false
cmp -s "$tmp/pre.alerts" "$tmp/naive.alerts" && same=true
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
mp=$(median "${pre_ns[@]}")
mn=$(median "${naive_ns[@]}")
result=$(jq -n --argjson rounds "$rounds" --argjson repeat "$repeat" --arg corpus "$corpus" \
  --arg rules "$rules" --arg s6 "$s6" \
  --arg cpu "$(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" \
  --argjson mp "$mp" --argjson mn "$mn" --argjson same "$same" \
  --slurpfile pre "$tmp/pre.json" --slurpfile naive "$tmp/naive.json" \
  --argjson alerts "$(wc -l < "$tmp/pre.alerts")" '
  ($pre[0].snort) as $c |
  {config: {binary: $s6, corpus: $corpus, repeat: $repeat, rounds: $rounds, rules: $rules,
            rules_loaded: $c.rules, cpu: $cpu, timing: "processing time, rule compilation excluded; median of rounds"},
   packets: $c.packets, bytes: $c.bytes, alerts: $alerts, same_alerts: $same,
   inspections: $c.inspections,
   candidates_per_inspection: {prefilter: ($c.rule_candidates / $c.inspections),
                               naive: ($naive[0].snort.rule_candidates / $naive[0].snort.inspections)},
   prefilter: {median_s: ($mp / 1e9), pps: ($c.packets / ($mp / 1e9)),
               mbit_s: ($c.bytes * 8 / ($mp / 1e9) / 1e6)},
   naive: {median_s: ($mn / 1e9), pps: ($c.packets / ($mn / 1e9)),
           mbit_s: ($c.bytes * 8 / ($mn / 1e9) / 1e6)},
   ratio: ($mn / $mp)}')
echo "$result"
[ -z "$json" ] || echo "$result" > "$json"
