#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every tool's command line follows one convention: `--help` exits 0 and lists each option
# (the ones named below must appear), and a usage error is exactly one line on stderr with exit
# status 2. Numbers are read exactly as written or refused: every numeric option below is given
# spellings other parsers read as something else (signs, exponents, hex, octal, suffixes,
# spaces, junk) and values outside what the tool can do; each must be refused that way, naming
# the option.
# Usage: cli_test.sh TOOL:REQUIRED_OPTION,... [TOOL:...]   (TOOL is a path)
set -uo pipefail
fail=0
work=$(mktemp -d /tmp/s6-cli-test-XXXXXX)
trap 'rm -rf "$work"' EXIT
for spec in "$@"; do
  tool=${spec%%:*}
  opts=${spec#*:}
  name=$(basename "$tool")
  if ! "$tool" --help >"$work/help" 2>"$work/help.err"; then
    echo "FAIL $name: --help exited $?" >&2; fail=1; continue
  fi
  IFS=, read -ra want <<<"$opts"
  for o in "${want[@]}"; do
    [ -z "$o" ] && continue
    grep -q -- "$o" "$work/help" || { echo "FAIL $name: --help lacks $o" >&2; fail=1; }
  done
  "$tool" --no-such-option >"$work/out" 2>"$work/err"
  rc=$?
  lines=$(wc -l <"$work/err")
  if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ]; then
    echo "FAIL $name: bad option gave exit $rc and $lines stderr lines:" >&2
    cat "$work/err" >&2
    fail=1
  fi
done

declare -A path
for spec in "$@"; do path[$(basename "${spec%%:*}")]=${spec%%:*}; done
# refuse TOOL OPTION "VALUE..." -- ARGS...: each VALUE for OPTION, beside otherwise valid ARGS.
checked=0
refuse() {
  local tool=$1 option=$2 values=$3
  shift 4
  [ -n "${path[$tool]:-}" ] || return 0
  local v
  while IFS= read -r v; do
    "${path[$tool]}" "$@" "$option" "$v" >"$work/out" 2>"$work/err" </dev/null
    rc=$?
    lines=$(wc -l <"$work/err")
    if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q -- "$option" "$work/err"; then
      echo "FAIL $tool $option '$v': exit $rc, $lines stderr lines:" >&2
      head -3 "$work/err" >&2
      fail=1
    fi
    checked=$((checked + 1))
  done <<<"$values"
}
junk=$'-1\n+1\n1e3\n0x10\n010\n 7\n7 \n5k\n10abc\n1.5\n\n99999999999999999999999'
real_junk=$'-1\n+1\n0x1p3\ninf\nnan\n1s\n.5\n1e400\n1,5'
ctl=(run --app nat --instances 1 --flows 10 --rate 10 --duration 1)
refuse s6ctl --flows "$junk"$'\n0\n16777217' -- "${ctl[@]}"
refuse s6ctl --rate "$junk"$'\n0\n100000001' -- "${ctl[@]}"
refuse s6ctl --instances "$junk"$'\n0\n65' -- "${ctl[@]}"
refuse s6ctl --duration "$real_junk"$'\n0\n1e8' -- "${ctl[@]}"
refuse s6ctl --pkt-size "$junk"$'\n0\n1515' -- "${ctl[@]}"
refuse s6ctl --missteer "$real_junk"$'\n1.5' -- "${ctl[@]}"
refuse s6ctl --scale-out-at "$real_junk" -- "${ctl[@]}"
refuse s6ctl --stats-interval-ms "$junk"$'\n9' -- "${ctl[@]}"
tg=(--instance 1=/tmp/nowhere.sock --rate 10 --duration 1)
refuse s6-trafgen --flows "$junk"$'\n0\n16777217' -- "${tg[@]}"
refuse s6-trafgen --rate "$real_junk"$'\n0\n1e9' -- "${tg[@]}"
refuse s6-trafgen --duration "$real_junk"$'\n0' -- "${tg[@]}"
refuse s6-trafgen --seed "$junk" -- "${tg[@]}"
refuse s6-trafgen --loops "$junk" -- "${tg[@]}"
refuse s6-trafgen --backlog "$junk"$'\n0' -- "${tg[@]}"
refuse s6-trafgen --drain-ms "$junk" -- "${tg[@]}"
refuse s6-trafgen --arrival-shape "$real_junk"$'\n1' -- "${tg[@]}"
inst=(--id 1 --endpoint ipc:///tmp/nowhere --port none)
refuse s6-nat-instance --id "$junk"$'\n0\n4294967296' -- "${inst[@]}"
refuse s6-nat-instance --duration "$real_junk" -- "${inst[@]}"
refuse s6-nat-instance --max-fibers "$junk"$'\n0' -- "${inst[@]}"
refuse s6-nat-instance --dpdk-memory "$junk"$'\n15' -- "${inst[@]}"
refuse s6-nat-instance --shards "$junk"$'\n0\n4097' -- "${inst[@]}"
refuse s6-snort --event-queue "$junk"$'\n0\n1001' -- -c /dev/null -r /dev/null
[ "$fail" -eq 0 ] && echo "ok: $# tools, $checked refused numbers"
exit "$fail"
