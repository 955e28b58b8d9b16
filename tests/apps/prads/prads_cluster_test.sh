#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# PRADS as a cluster under s6ctl: the differential set, replayed once by s6-trafgen (which
# carries each packet's capture time), through one instance and through two instances with a
# scale-out to three in the middle of the replay. The merged asset logs hold the same records
# (order aside, `discovered` included), nothing is lost, and the stats count every packet.
# Usage: prads_cluster_test.sh S6CTL_BIN SOURCE_DIR
set -euo pipefail
s6ctl=$1
src=$2
tmp=$(mktemp -d /tmp/s6-prads-cluster-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

/usr/bin/python3 "$src/bench/prads_merge.py" "$src/tests/data/pcaps/prads" "$tmp/in.pcap" > /dev/null
printf 'arp=1\nos_icmp=1\nos_udp=1\nos_ack_fingerprint=1\nservice_udp=1\n' > "$tmp/all.conf"

run() {
  local name=$1
  shift
  mkdir -p "$tmp/$name"
  "$s6ctl" run --app prads --duration 6 --flows 10 --rate 60 --pcap "$tmp/in.pcap" \
    --pcap-loops 1 --merge-log "$tmp/$name/assets-{id}.log" --merged-log "$tmp/$name/assets.log" \
    --workdir "$tmp/$name/work" --summary-json "$tmp/$name/summary.json" --quiet "$@" \
    -- --asset-log "$tmp/$name/assets-{id}.log" -c "$tmp/all.conf" > "$tmp/$name/out.txt" 2>&1 ||
    { cat "$tmp/$name/out.txt"; fail "s6ctl run ($name) failed"; }
  jq -e '.lost == 0 and .state_lost == 0 and .errors == [] and .sent > 100' \
    "$tmp/$name/summary.json" > /dev/null || fail "$name: $(cat "$tmp/$name/summary.json")"
  [ "$(head -1 "$tmp/$name/assets.log")" = "asset,vlan,port,proto,service,[service-info],distance,discovered" ] ||
    fail "$name: the merged log has no header"
  grep -v '^asset,' "$tmp/$name/assets.log" | sort > "$tmp/$name.records"
}
run one --instances 1
run scaled --instances 2 --scale-out-at 1.5
n=$(wc -l < "$tmp/one.records")
[ "$n" -gt 50 ] || fail "one instance logged only $n records"
diff "$tmp/one.records" "$tmp/scaled.records" || fail "the scaled cluster's records differ"
jq -e '.scaling.events | length == 1' "$tmp/scaled/summary.json" > /dev/null ||
  fail "no scale event in $(cat "$tmp/scaled/summary.json")"
jq -e '[.instance_stats[] | .nf.packets] | add > 100' "$tmp/scaled/summary.json" > /dev/null ||
  fail "the instances' stats do not count the packets"
# The records carry the capture's time, not the replay's (the captures are years old).
yesterday=$(( $(date +%s) - 86400 ))
awk -F, -v y="$yesterday" '$NF > y { late++ } END { exit late > 0 }' "$tmp/one.records" ||
  fail "a record's discovered time is the replay's, not the capture's"
echo "ok: $n records, identical with one instance and with a scale-out 2 -> 3"
