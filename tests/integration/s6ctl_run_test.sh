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
s=$(cat "$dir/summary.json")
for key in '"sent":' '"received":' '"lost":0,' '"throughput_pps":' '"latency_us":{"p50":' \
  '"p99":' '"max":' '"instances":2,' '"state_lost":0,' '"errors":[]'; do
  if ! grep -qF -- "$key" <<<"$s"; then
    echo "summary lacks $key: $s" >&2
    exit 1
  fi
done
sent=$(sed 's/.*"sent":\([0-9]*\).*/\1/' <<<"$s")
[ "$sent" -gt 10000 ] || { echo "only $sent packets sent: $s" >&2; exit 1; }
# The run is over: attaching to it fails clearly.
"$s6ctl" status --workdir "$dir/work" 2>/dev/null && { echo "status attached to a finished run" >&2; exit 1; }
echo "ok: $s"
