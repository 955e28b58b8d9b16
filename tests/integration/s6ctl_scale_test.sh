#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Elastic scaling through s6ctl, with real processes: a scheduled 1 -> 2 -> 1 in both migration
# modes, and the same driven from outside by attached `s6ctl scale-out/scale-in/status`. Every
# run must lose no packet and no NAT mapping, move objects, and report each event.
set -euo pipefail
s6ctl=$1
dir=$(mktemp -d /tmp/s6ctl-scale-XXXXXX)
trap 'rm -rf "$dir"' EXIT

field() {  # field NAME JSON: the first number after "NAME":
  grep -o "\"$1\":[0-9.]*" <<<"$2" | head -1 | cut -d: -f2
}
check() {  # check SUMMARY EVENTS
  local s=$1
  for key in '"lost":0,' '"state_lost":0,' '"errors":[]' '"instances_at_end":1,' '"scaling":{'; do
    grep -qF -- "$key" <<<"$s" || { echo "summary lacks $key: $s" >&2; exit 1; }
  done
  local events
  events=$(grep -o '"kind":"scale-[a-z]*"' <<<"$s" | wc -l)
  [ "$events" -eq "$2" ] || { echo "want $2 events, got $events: $s" >&2; exit 1; }
  grep -q '"error":' <<<"$s" && { echo "an event failed: $s" >&2; exit 1; }
  local moved
  moved=$(sed 's/.*\],"objects_moved":\([0-9]*\),.*/\1/' <<<"$s")  # the totals follow the events
  [ "$moved" -gt 0 ] || { echo "no objects moved: $s" >&2; exit 1; }
  echo "ok: sent $(field sent "$s"), moved $moved, $(sed 's/.*\],"objects_moved":[0-9]*,\("migration_ms":[0-9.]*\).*/\1/' <<<"$s")"
}

for mode in gradual stop-and-copy; do
  "$s6ctl" run --app nat --instances 1 --scale-out-at 2 --scale-in-at 5 --duration 8 \
    --flows 2000 --rate 10000 --migration "$mode" --summary-json "$dir/$mode.json" \
    --workdir "$dir/$mode" --quiet
  check "$(cat "$dir/$mode.json")" 2
  grep -qF "\"mode\":\"$mode\"" "$dir/$mode.json" || { echo "mode not reported" >&2; exit 1; }
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
s=$(cat "$dir/attach.json")
check "$s" 2
[ "$(grep -o '"origin":"attach"' <<<"$s" | wc -l)" -eq 2 ] || { echo "origin: $s" >&2; exit 1; }
# With no run there, attaching fails clearly.
"$s6ctl" status --workdir "$dir/none" 2>/dev/null && { echo "status without a run succeeded" >&2; exit 1; }
echo "ok"
