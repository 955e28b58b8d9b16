#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Elastic scaling through s6ctl, with real processes: a scheduled 1 -> 2 -> 1 in both migration
# modes, and the same driven from outside by attached `s6ctl scale-out/scale-in/status`. Every
# run must lose no packet and no NAT mapping, move objects, and report each event.
set -euo pipefail
s6ctl=$1
dir=$(mktemp -d /tmp/s6ctl-scale-XXXXXX)
trap 'rm -rf "$dir"' EXIT

check() {  # check SUMMARY_FILE EVENTS (the summary read with jq, by key)
  local s=$1
  jq -e '.lost == 0 and .state_lost == 0 and .errors == [] and .instances_at_end == 1
    and (.scaling | type == "object")' "$s" >/dev/null ||
    { echo "summary lost something, has errors or lacks scaling: $(cat "$s")" >&2; exit 1; }
  local events
  events=$(jq '[.scaling.events[] | select(.kind | startswith("scale-"))] | length' "$s")
  [ "$events" -eq "$2" ] || { echo "want $2 events, got $events: $(cat "$s")" >&2; exit 1; }
  jq -e '[.. | objects | has("error")] | any | not' "$s" >/dev/null ||
    { echo "an event failed: $(cat "$s")" >&2; exit 1; }
  local moved
  moved=$(jq .scaling.objects_moved "$s")  # the total over the events
  [ "$moved" -gt 0 ] || { echo "no objects moved: $(cat "$s")" >&2; exit 1; }
  echo "ok: sent $(jq .sent "$s"), moved $moved, migration_ms $(jq .scaling.migration_ms "$s")"
}

for mode in gradual stop-and-copy; do
  "$s6ctl" run --app nat --instances 1 --scale-out-at 2 --scale-in-at 5 --duration 8 \
    --flows 2000 --rate 10000 --migration "$mode" --summary-json "$dir/$mode.json" \
    --workdir "$dir/$mode" --quiet
  check "$dir/$mode.json" 2
  jq -e --arg mode "$mode" '.scaling.mode == $mode' "$dir/$mode.json" >/dev/null ||
    { echo "mode not reported" >&2; exit 1; }
done

# Attached: the operator scales a running cluster out and back in.
"$s6ctl" run --app nat --instances 1 --duration 9 --flows 2000 --rate 10000 \
  --summary-json "$dir/attach.json" --workdir "$dir/attach" --quiet &
run=$!
for _ in $(seq 100); do [ -S "$dir/attach/s6ctl.ctl" ] && break; sleep 0.05; done
sleep 2
"$s6ctl" scale-out --workdir "$dir/attach" | grep -q queued
for _ in $(seq 100); do
  "$s6ctl" status --workdir "$dir/attach" | grep -q 'members 1,2' && break
  sleep 0.05
done
"$s6ctl" status --workdir "$dir/attach" | grep -q 'members 1,2' || { echo "scale-out not done" >&2; exit 1; }
"$s6ctl" scale-in --workdir "$dir/attach" | grep -q queued
"$s6ctl" kill 99 --workdir "$dir/attach" && { echo "kill of a non-instance accepted" >&2; exit 1; }
wait "$run"
check "$dir/attach.json" 2
[ "$(jq '[.scaling.events[] | select(.origin == "attach")] | length' "$dir/attach.json")" -eq 2 ] ||
  { echo "origin: $(cat "$dir/attach.json")" >&2; exit 1; }
# With no run there, attaching fails clearly.
"$s6ctl" status --workdir "$dir/none" 2>/dev/null && { echo "status without a run succeeded" >&2; exit 1; }
echo "ok"
