#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The installed package as an outside NF author uses it: installs this build into a temporary
# prefix, builds tests/integration/find_package against it (find_package(S6), s6_add_objects,
# S6::host), then
#  1. runs `consumer` (generated stubs through the loopback caller);
#  2. runs the out-of-tree NF offline (`my-nf`) over a real capture and reads its counters;
#  3. runs it as a cluster with the installed s6ctl (`run --app-binary`): packets go through
#     two `my-nf-instance` processes and their stats files show the NF's counters;
#  4. checks that --help works and that a missing app is a clear usage error.
# Usage: find_package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d /tmp/s6-find-package-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/integration/find_package" -B "$work/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >/dev/null
cmake --build "$work/consumer"

# 1. Generated code.
"$work/consumer/consumer"
grep -q "consumer::Tally" "$work/consumer/consumer_objects.s6/consumer_state.s6.h" ||
  fail "generated header lacks consumer::Tally"

# 2. Offline: every packet of a real capture is counted or passed on, and port 443 dropped.
pcap="$src/tests/data/pcaps/EAQ.pcap"
"$work/consumer/my-nf" --pcap-in "$pcap" --pcap-out "$work/out.pcap" --drop-port 443 \
  --stats-json "$work/offline.json" >/dev/null
jq -e '.packets_read > 0 and .["my-nf"].counted > 0 and
       .packets_written + .packets_dropped == .packets_read and
       .packets_dropped == .["my-nf"].dropped and .["my-nf"].config.drop_port == 443' \
  "$work/offline.json" >/dev/null || fail "offline counters: $(cat "$work/offline.json")"

# 3. A cluster of two out-of-tree instances under the installed s6ctl.
s6ctl="$work/prefix/bin/s6ctl"
"$s6ctl" --help >/dev/null
"$work/consumer/my-nf-instance" --help | grep -q -- "--drop-port" || fail "instance --help"
"$s6ctl" run --app-binary "$work/consumer/my-nf-instance" --instances 2 --duration 3 \
  --flows 1000 --rate 3000 --missteer 0.05 --summary-json "$work/summary.json" \
  --workdir "$work/run" --quiet
jq -e '.lost == 0 and .received > 5000 and .received == .sent and .errors == []' \
  "$work/summary.json" >/dev/null || fail "summary: $(cat "$work/summary.json")"
counted=0
for id in 1 2; do
  n=$(jq -e '.nf.counted' "$work/run/$id.json") || fail "instance $id stats: no nf.counted"
  counted=$((counted + n))
done
received=$(jq '.received' "$work/summary.json")
# Every packet trafgen got back went through an instance's Process (plus any the run's end cut).
[ "$counted" -ge "$received" ] || fail "instances counted $counted packets, trafgen received $received"

# 4. A missing app is a usage error naming it.
set +e
"$s6ctl" run --app no-such-nf --instances 1 --duration 1 --flows 10 --rate 10 \
  --workdir "$work/run2" 2>"$work/err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "missing app: exit $rc, want 2"
grep -q "s6-no-such-nf-instance" "$work/err" || fail "missing app error: $(cat "$work/err")"
echo "find_package(S6): consumer, offline NF and a 2-instance cluster of an out-of-tree NF ok"
