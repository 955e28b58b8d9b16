#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every tool's command line follows one convention: `--help` exits 0 and lists each option
# (the ones named below must appear), and a usage error is exactly one line on stderr with exit
# status 2.
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
[ "$fail" -eq 0 ] && echo "ok: $# tools"
exit "$fail"
