#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: sets up (Debian packages), builds, and runs a live NAT cluster for ~30 s:
# s6-trafgen (DPDK, memif links) drives s6-nat-instance processes that share their state
# through the object space (ZeroMQ between them), with 5 % of packets mis-steered so flows'
# state moves between the processes. A third of the way in the cluster scales out from two
# instances to three, two thirds in back to two, under traffic: slots and their state move
# gradually while packets flow. s6ctl shows a live table, migration progress and the summary.
# Works as root or as a user with sudo (setup escalates for apt-get only).
# Env: S6_BUILD_DIR (default build), DEMO_DURATION (default 30), DEMO_RATE (default 20000),
# DEMO_MIGRATION (gradual | stop-and-copy, default gradual).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${S6_BUILD_DIR:-build}
mkdir -p "$BUILD_DIR"
LOG="$BUILD_DIR/demo-build.log"
# The build is quiet: one line, the compiler's output goes to the log (CI's build, with
# -Werror, is where warnings are looked at); on failure the log's end is shown.
echo "demo: building s6ctl, s6-trafgen, s6-nat-instance and s6-prads (log: $LOG) ..."
if ! { cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DS6_WERROR=OFF \
         -DS6_BUILD_TESTS=OFF -DS6_BUILD_BENCHMARKS=OFF &&
       cmake --build "$BUILD_DIR" -j "$(nproc)" --target s6ctl s6-trafgen s6-nat-instance s6-prads \
         s6-prads-instance; } \
     >"$LOG" 2>&1; then
  tail -n 40 "$LOG" >&2
  echo "demo: the build failed; the whole log is $LOG" >&2
  exit 1
fi
OUT="$BUILD_DIR/demo"
mkdir -p "$OUT"
DURATION=${DEMO_DURATION:-30}
OUT_AT=$(awk "BEGIN { print $DURATION / 3 }")
IN_AT=$(awk "BEGIN { print 2 * $DURATION / 3 }")
echo
status=0
"$BUILD_DIR/bin/s6ctl" run --app nat --instances 2 --duration "$DURATION" \
  --flows 8000 --rate "${DEMO_RATE:-20000}" --missteer 0.05 \
  --scale-out-at "$OUT_AT" --scale-in-at "$IN_AT" --migration "${DEMO_MIGRATION:-gradual}" \
  --summary-json "$OUT/summary.json" --csv "$OUT/intervals.csv" --workdir "$OUT/run" || status=$?
cat <<NEXT

Where to look next:
  $OUT/summary.json     the run's summary (jq . $OUT/summary.json)
  $OUT/intervals.csv    per-interval throughput, loss and latency
  $OUT/run/             each instance's stats (N.json), logs, trafgen's reports
  $BUILD_DIR/bin/s6ctl run --help      every option (try --migration stop-and-copy)
  S6_LOG=migration=debug               trace a scale event's steps
  $BUILD_DIR/bin/s6-prads -r tests/data/pcaps/prads/prads_crafted.pcap -l /tmp/assets.log
                                       PRADS on S6: the same asset log as Debian's prads
                                       (apps/prads/README.md; scripts/prads_diff.py compares)
  docs/programming-guide.md            write your own network function
  docs/protocol.md, docs/performance.md  how scaling works, what was measured
NEXT
exit "$status"
