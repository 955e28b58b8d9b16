#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# s6-nat's outputs: nothing is destroyed and no failed write passes as success.
# - an output that is the input (by any name), a directory or a device is refused up front
#   (exit 2) and the input is left byte for byte;
# - a full disk (a 16 KiB tmpfs in a mount namespace of this test) and a full standard output
#   (/dev/full) are errors (exit 1) naming what could not be written;
# - a capture taken with checksum offload (IPv4 header checksum 0) is translated by default,
#   and dropped as bad_ip_checksum only with --ip-checksums verify.
# Usage: nat_outputs_test.sh S6_NAT PCAP
set -uo pipefail
nat=$1
pcap=$2
dir=$(mktemp -d /tmp/s6-nat-outputs-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cp "$pcap" "$dir/in.pcap"
ln -s in.pcap "$dir/alias.pcap"
mkdir "$dir/sub"
ip=(--public-ip 203.0.113.7)

expect() {  # RC MESSAGE-PATTERN ARGS...: s6-nat ARGS exits RC with MESSAGE-PATTERN on stderr
  local want=$1 pattern=$2
  shift 2
  "$nat" "$@" >"$dir/out" 2>"$dir/err"
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "s6-nat $*: exit $rc, want $want: $(cat "$dir/err")"
  grep -q -- "$pattern" "$dir/err" || fail "s6-nat $*: no '$pattern' in: $(cat "$dir/err")"
}
expect 2 "is the input" --pcap-in "$dir/in.pcap" --pcap-out "$dir/in.pcap" "${ip[@]}"
expect 2 "is the input" --pcap-in "$dir/in.pcap" --pcap-out "$dir/alias.pcap" "${ip[@]}"
expect 2 "is a directory" --pcap-in "$dir/in.pcap" --pcap-out "$dir/sub" "${ip[@]}"
expect 2 "not a regular file" --pcap-in "$dir/in.pcap" --pcap-out /dev/null "${ip[@]}"
expect 2 "is the input" --pcap-in "$dir/in.pcap" --pcap-out "$dir/o.pcap" \
  --stats-json "$dir/alias.pcap" "${ip[@]}"
expect 2 "also --pcap-out" --pcap-in "$dir/in.pcap" --pcap-out "$dir/o.pcap" \
  --stats-json "$dir/o.pcap" "${ip[@]}"
cmp -s "$pcap" "$dir/in.pcap" || fail "the input was changed"
"$nat" --pcap-in "$dir/in.pcap" --pcap-out "$dir/o.pcap" "${ip[@]}" >/dev/full 2>"$dir/err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "standard output" "$dir/err" ||
  fail "a full standard output gave exit $rc: $(cat "$dir/err")"

# A full disk, in a private mount namespace (needs CAP_SYS_ADMIN; skipped without it).
big=$(stat -c %s "$pcap")
if [ "$big" -gt 20000 ] && unshare -m true 2>/dev/null; then
  unshare -m bash -c '
    mount -t tmpfs -o size=16k s6full "$1/sub" || exit 77
    "$2" --pcap-in "$1/in.pcap" --pcap-out "$1/sub/o.pcap" --public-ip 203.0.113.7 \
      >/dev/null 2>"$1/full.err"' _ "$dir" "$nat"
  rc=$?
  [ "$rc" -eq 1 ] || fail "a full disk gave exit $rc: $(cat "$dir/full.err")"
  grep -q "cannot write '$dir/sub/o.pcap'" "$dir/full.err" ||
    fail "the full disk's error lacks the path: $(cat "$dir/full.err")"
  full=checked
else
  full=skipped
fi

# Checksum offload: every IPv4 header checksum zeroed (pcap and Ethernet II framing).
/usr/bin/python3 - "$dir/in.pcap" "$dir/offload.pcap" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], 'rb').read())
le = data[:4] == b'\xd4\xc3\xb2\xa1'
at, zeroed = 24, 0
while at + 16 <= len(data):
    caplen = struct.unpack_from('<I' if le else '>I', data, at + 8)[0]
    frame = at + 16
    if caplen >= 34 and data[frame + 12:frame + 14] == b'\x08\x00':
        data[frame + 24:frame + 26] = b'\x00\x00'
        zeroed += 1
    at = frame + caplen
open(sys.argv[2], 'wb').write(data)
PY

"$nat" --pcap-in "$dir/offload.pcap" --pcap-out "$dir/o1.pcap" "${ip[@]}" >"$dir/default.json" ||
  fail "s6-nat on the offloaded capture failed"
"$nat" --pcap-in "$dir/offload.pcap" --pcap-out "$dir/o2.pcap" "${ip[@]}" --ip-checksums verify \
  >"$dir/verify.json" || fail "s6-nat --ip-checksums verify failed"
jq -e '.nat.bad_ip_checksum == 0 and .nat.translated_out > 0' "$dir/default.json" >/dev/null ||
  fail "offloaded checksums dropped by default: $(cat "$dir/default.json")"
jq -e '.nat.bad_ip_checksum > 0' "$dir/verify.json" >/dev/null ||
  fail "--ip-checksums verify kept bad checksums: $(cat "$dir/verify.json")"
echo "ok: outputs refused or checked (full disk $full), checksum offload handled"
