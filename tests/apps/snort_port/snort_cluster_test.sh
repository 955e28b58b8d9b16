#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Snort port as a cluster under s6ctl: 60 interleaved HTTP connections, replayed by
# s6-trafgen (which carries each packet's capture time), through one instance and through two
# instances with a scale-out to three while the connections are between their requests and
# their responses (the capture pauses them for 400 unrelated packets, 5 s of the replay, so
# the new instance has joined however slowly it starts). The rules need state that must travel with each flow: a flowbit set on the
# request and tested on the response, and a User-Agent split over two segments (stream
# reassembly and the HTTP inspector's state). The whole community.rules is loaded too. Both
# runs raise the same alerts (time, rule, addresses), nothing is lost, and the instance that
# joined raised some of them (flows moved to it mid-connection, with their state).
# Usage: snort_cluster_test.sh S6CTL_BIN SOURCE_DIR
set -euo pipefail
s6ctl=$1
src=$2
tmp=$(mktemp -d /tmp/s6-snort-cluster-XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

/usr/bin/python3 "$src/tests/apps/snort_port/make_http_flows.py" "$tmp/in.pcap" --connections 60 \
  --pause 400
cat > "$tmp/state.rules" <<'RULES'
alert tcp any any -> any any (msg:"S6 request seen"; flow:to_server,established; content:"GET"; http_method; flowbits:set,s6.get; flowbits:noalert; sid:9000001; rev:1;)
alert tcp any any -> any any (msg:"S6 answer to a GET"; flow:to_client,established; flowbits:isset,s6.get; content:"200"; http_stat_code; sid:9000002; rev:1;)
alert tcp any any -> any any (msg:"S6 user agent across segments"; flow:to_server,established; content:"User-Agent|3A| S6-cluster-test"; http_header; sid:9000003; rev:1;)
RULES

run() {
  local name=$1 rate=$2
  shift 2
  mkdir -p "$tmp/$name"
  "$s6ctl" run --app snort --duration $((1060 / rate + 4)) --flows 10 --rate "$rate" \
    --pcap "$tmp/in.pcap" --pcap-loops 1 --merge-log "$tmp/$name/alerts-{id}.txt" \
    --merged-log "$tmp/$name/alerts.txt" --workdir "$tmp/$name/work" \
    --summary-json "$tmp/$name/summary.json" --quiet "$@" \
    -- --rules "$src/tests/data/snort/community.rules" --rules "$tmp/state.rules" \
    --enable-all-rules --alerts "$tmp/$name/alerts-{id}.txt" > "$tmp/$name/out.txt" 2>&1 ||
    { cat "$tmp/$name/out.txt"; fail "s6ctl run ($name) failed"; }
  jq -e '.lost == 0 and .state_lost == 0 and .errors == [] and .sent == 1060' \
    "$tmp/$name/summary.json" > /dev/null || fail "$name: $(cat "$tmp/$name/summary.json")"
  sort "$tmp/$name/alerts.txt" > "$tmp/$name.sorted"
}
# 1060 packets: requests until 300, the pause until 700, then the responses. At 80/s the
# scaled run's pause lasts from 3.75 s to 8.75 s into the replay; the scale-out starts at 2 s.
run one 250 --instances 1
run scaled 80 --instances 2 --scale-out-at 2
for sid in 9000002 9000003; do
  n=$(grep -c "\[1:$sid:1\]" "$tmp/one.sorted" || true)
  [ "$n" = 60 ] || fail "one instance raised $n alerts of sid $sid, not 60"
done
diff "$tmp/one.sorted" "$tmp/scaled.sorted" || fail "the scaled cluster's alerts differ"
jq -e '.scaling.events | length == 1 and .[0].objects_moved > 0' "$tmp/scaled/summary.json" \
  > /dev/null || fail "no scale event moved objects: $(jq -c .scaling "$tmp/scaled/summary.json")"
joined=$(jq "[.instance_stats[] | select(.instance == 3) | .nf.http_sections] | add // 0" "$tmp/scaled/summary.json")
[ "$joined" -gt 0 ] || fail "the instance that joined inspected no HTTP section (it joined too late?): $(jq -c '[.instance_stats[] | {instance, nf}]' "$tmp/scaled/summary.json")"
# The alerts carry the capture's time (2023), not the replay's.
grep -q '^11/14-' "$tmp/one.sorted" || fail "alert times are not the capture's: $(head -1 "$tmp/one.sorted")"
echo "ok: $(wc -l < "$tmp/one.sorted") alerts, identical with one instance and with a scale-out 2 -> 3 ($joined HTTP sections of moved connections inspected by the new instance)"
