#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: sets up (Debian packages), builds, and runs a live NAT cluster for ~30 s:
# s6-trafgen (DPDK, memif links) drives s6-nat-instance processes that share their state
# through the object space (ZeroMQ between them), with 5 % of packets mis-steered so flows'
# state moves between the processes. A third of the way in the cluster scales out from two
# instances to three, two thirds in back to two, under traffic: slots and their state move
# gradually while packets flow. s6ctl shows a live table, migration progress and the summary.
# Env: S6_BUILD_DIR (default build), DEMO_DURATION (default 30), DEMO_RATE (default 20000),
# DEMO_MIGRATION (gradual | stop-and-copy, default gradual).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${S6_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DS6_WERROR=OFF -DS6_BUILD_TESTS=OFF \
  -DS6_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target s6ctl s6-trafgen s6-nat-instance
OUT="$BUILD_DIR/demo"
mkdir -p "$OUT"
DURATION=${DEMO_DURATION:-30}
OUT_AT=$(awk "BEGIN { print $DURATION / 3 }")
IN_AT=$(awk "BEGIN { print 2 * $DURATION / 3 }")
echo
"$BUILD_DIR/bin/s6ctl" run --app nat --instances 2 --duration "$DURATION" \
  --flows 8000 --rate "${DEMO_RATE:-20000}" --missteer 0.05 \
  --scale-out-at "$OUT_AT" --scale-in-at "$IN_AT" --migration "${DEMO_MIGRATION:-gradual}" \
  --summary-json "$OUT/summary.json" --csv "$OUT/intervals.csv"
echo
echo "summary JSON: $OUT/summary.json; per-interval CSV: $OUT/intervals.csv"
