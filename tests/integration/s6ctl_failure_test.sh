#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# s6ctl tells the truth about failures, with real processes and real signals:
# - an instance killed with SIGKILL: exit status 1; the summary names the instance, when and
#   the signal, shows the end of its log, counts what its link refused or never sent, and
#   instances_at_end drops to the survivors;
# - an instance stopped (SIGSTOP) for 3 s: exit status 1 and a stall of that instance;
# - s6ctl itself killed with SIGKILL: its instances and s6-trafgen die with it;
# - with every instance gone, the run stops at once;
# - after a run no socket file is left in its workdir and the attach pointer is gone; a workdir
#   that is a file is a usage error.
set -uo pipefail
s6ctl=$1
dir=$(mktemp -d /tmp/s6ctl-failure-XXXXXX)
trap 'pkill -9 -f -- "$dir/" 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The pid of instance ID of the run in WORK, once it runs.
instance_pid() {
  local pid=""
  for _ in $(seq 200); do
    pid=$(pgrep -f -- "--stats-file $1/$2.json" | head -1)
    [ -n "$pid" ] && [ -s "$1/$2.json" ] && break
    sleep 0.05
  done
  echo "$pid"
}

run() {  # NAME: a 2-instance run in the background; its pid in $run_pid
  "$s6ctl" run --app nat --instances 2 --duration 6 --flows 500 --rate 5000 --quiet \
    --summary-json "$dir/$1.json" --workdir "$dir/$1" >"$dir/$1.out" 2>&1 &
  run_pid=$!
}

run kill
pid=$(instance_pid "$dir/kill" 2)
[ -n "$pid" ] || fail "instance 2 never ran: $(cat "$dir/kill.out")"
sleep 1.5
kill -9 "$pid"
wait "$run_pid"
rc=$?
[ "$rc" -eq 1 ] || fail "a run with a killed instance exited $rc: $(cat "$dir/kill.out")"
jq -e '.instances_at_end == 1
  and any(.errors[]; test("^instance 2 exited early at [0-9.]+ s \\(killed by SIGKILL\\); the end of its log .*instance2.log: \\| "))
  and (.lost + .link_refused + .link_unsent) > 0
  and any(.errors[]; test("instance 2.s link"))' "$dir/kill.json" >/dev/null ||
  fail "the summary hides the killed instance: $(jq -c '{instances_at_end, lost, link_refused, link_unsent, errors}' "$dir/kill.json")"

# The failed run kept its logs, not its sockets; the per-user attach pointer is gone.
[ -s "$dir/kill/instance2.log" ] || fail "the failed run's logs are gone"
left=$(find "$dir/kill" -type s)
[ -z "$left" ] || fail "socket files left behind: $left"
latest="/tmp/s6ctl-latest-$(id -u)"
if [ -e "$latest" ] && grep -qx "$dir/kill" "$latest"; then fail "$latest points at a finished run"; fi
"$s6ctl" run --app nat --instances 1 --duration 1 --flows 1 --rate 1 --workdir /etc/passwd \
  >/dev/null 2>"$dir/file.err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$dir/file.err")" -eq 1 ] ||
  fail "a workdir that is a file gave exit $rc: $(cat "$dir/file.err")"

run stop
pid=$(instance_pid "$dir/stop" 1)
[ -n "$pid" ] || fail "instance 1 never ran: $(cat "$dir/stop.out")"
sleep 1
kill -STOP "$pid"
sleep 3
kill -CONT "$pid"
wait "$run_pid"
rc=$?
[ "$rc" -eq 1 ] || fail "a run with a stopped instance exited $rc: $(cat "$dir/stop.out")"
jq -e 'any(.errors[]; test("^instance 1 stalled at [0-9.]+ s \\(no stats written\\) for [0-9.]+ s"))' \
  "$dir/stop.json" >/dev/null || fail "no stall reported: $(jq -c .errors "$dir/stop.json")"

# Every instance gone: the run stops then, not at --duration (30 s).
"$s6ctl" run --app nat --instances 1 --duration 30 --flows 100 --rate 1000 --quiet \
  --summary-json "$dir/alone.json" --workdir "$dir/alone" >"$dir/alone.out" 2>&1 &
run_pid=$!
pid=$(instance_pid "$dir/alone" 1)
[ -n "$pid" ] || fail "instance 1 never ran: $(cat "$dir/alone.out")"
started=$SECONDS
kill -9 "$pid"
wait "$run_pid"
rc=$?
[ "$rc" -eq 1 ] && [ $((SECONDS - started)) -lt 20 ] ||
  fail "with no instance left, s6ctl exited $rc after $((SECONDS - started)) s"
jq -e 'any(.errors[]; test("^every instance has exited: the run stopped at"))' "$dir/alone.json" \
  >/dev/null || fail "no word of the empty cluster: $(jq -c .errors "$dir/alone.json")"

run orphan
pid=$(instance_pid "$dir/orphan" 1)
[ -n "$pid" ] || fail "instance 1 never ran: $(cat "$dir/orphan.out")"
kill -9 "$run_pid"
wait "$run_pid" 2>/dev/null
for _ in $(seq 100); do
  pgrep -f -- "$dir/orphan/" >/dev/null || break
  sleep 0.05
done
left=$(pgrep -af -- "$dir/orphan/")
[ -z "$left" ] || fail "processes outlived s6ctl: $left"
echo "ok: killed, stopped and orphaned runs told the truth"
