#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# s6ctl run as the demo runs it, for 3 s: exit status 0, and the summary has every field the
# issue names, with no packet and no state lost.
set -euo pipefail
s6ctl=$1
dir=$(mktemp -d /tmp/s6ctl-test-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$s6ctl" run --app nat --instances 2 --duration 3 --flows 2000 --rate 5000 --missteer 0.05 \
  --summary-json "$dir/summary.json" --workdir "$dir/work" --quiet
s="$dir/summary.json"
# Every field the issue names, with no packet and no state lost (read with jq, by key).
jq -e '(.sent | type == "number") and (.received | type == "number") and .lost == 0
  and (.throughput_pps | type == "number")
  and (.latency_us | (.p50 | type == "number") and (.p99 | type == "number")
                     and (.max | type == "number"))
  and .instances == 2 and .state_lost == 0 and .errors == []' "$s" >/dev/null ||
  { echo "summary lacks a field or lost something: $(cat "$s")" >&2; exit 1; }
sent=$(jq -r .sent "$s")
[ "$sent" -gt 10000 ] || { echo "only $sent packets sent: $(cat "$s")" >&2; exit 1; }
# The run is over: attaching to it fails clearly.
"$s6ctl" status --workdir "$dir/work" 2>/dev/null && { echo "status attached to a finished run" >&2; exit 1; }
echo "ok: $(jq -c . "$s")"
