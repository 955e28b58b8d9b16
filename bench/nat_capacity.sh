#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# NAT single-instance capacity next to dpdk-testpmd io forwarding on the same device: s6-trafgen
# offers RATE pkt/s over one memif link to (a) dpdk-testpmd --forward-mode=io (the raw DPDK
# forwarding baseline) and (b) one s6-nat-instance (busy polling, like testpmd), REPS times
# each, alternating, with 1000 long-lived flows (per-packet cost, not flow setup); prints each run's received pkt/s and the median ratio NAT / testpmd.
# Usage: bench/nat_capacity.sh BUILD_DIR [RATE] [SECONDS] [REPS] [PKT_SIZE]
set -euo pipefail
B=${1:?build dir}/bin
RATE=${2:-2000000}
SECS=${3:-5}
REPS=${4:-3}
SIZE=${5:-64}
[ "$SIZE" -ge 74 ] || SIZE=74  # smallest frame with headers and the trafgen probe
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not found (Debian: dpdk-dev)" >&2; exit 2; }
dir=$(mktemp -d /tmp/s6-capacity-XXXXXX)
trap 'pkill -f "$dir" 2>/dev/null || true; rm -rf "$dir"' EXIT

run() {  # $1 = testpmd|nat, $2 = rep
  local d="$dir/$1-$2"
  mkdir -p "$d"
  "$B/s6-trafgen" --instance 1="$d/l.memif" --rate "$RATE" --flows 1000 --duration "$SECS" \
    --flow-size 1000000000 --dist fixed \
    --pkt-size "$SIZE" --ready-file "$d/ready" --json "$d/tg.json" --dpdk-memory 256 \
    >"$d/tg.log" 2>&1 &
  local tg=$!
  for _ in $(seq 300); do [ -f "$d/ready" ] && break; sleep 0.1; done
  if [ "$1" = testpmd ]; then
    dpdk-testpmd -l 0-1 --no-huge -m 256 --file-prefix "tp$$-$2" --no-pci \
      --vdev="net_memif0,role=client,id=0,socket=$d/l.memif" -- --forward-mode=io \
      --port-topology=loop --auto-start --stats-period 100 --total-num-mbufs=8192 >"$d/fwd.log" 2>&1 &
  else
    "$B/s6-nat-instance" --id 1 --endpoint "ipc://$d/z" --port "memif:$d/l.memif:client" \
      --busy-poll --dpdk-memory 256 --stats-file "$d/nat.json" -- --public-ip 203.0.113.7 \
      >"$d/fwd.log" 2>&1 &
  fi
  local fwd=$!
  wait "$tg" || true
  kill -INT "$fwd" 2>/dev/null || true
  wait "$fwd" 2>/dev/null || true
  sed 's/.*"throughput_pps":\([0-9.]*\).*/\1/' "$d/tg.json"
}

echo "config: rate offered $RATE pkt/s, $SECS s per run, $REPS runs each, frame $SIZE B, 1000 flows,"
echo "        memif, --no-huge, $(nproc) vCPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
echo "        load average $(cut -d' ' -f1-3 /proc/loadavg)"
tp=()
nat=()
for r in $(seq "$REPS"); do
  tp+=("$(run testpmd "$r")")
  nat+=("$(run nat "$r")")
  echo "run $r: testpmd io ${tp[-1]} pkt/s, s6 NAT ${nat[-1]} pkt/s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mt=$(median "${tp[@]}")
mn=$(median "${nat[@]}")
echo "median: testpmd io $mt pkt/s, s6 NAT $mn pkt/s, ratio $(awk -v a="$mn" -v b="$mt" 'BEGIN {printf "%.2f", a / b}')"
