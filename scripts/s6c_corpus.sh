#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Large run of the generated s6c corpus (tests/compiler/corpus/): thousands of random state
# classes, invalid headers and schema-hash variants, then a summary (classes generated,
# accepted, refused as expected, failures with their seeds). Failing seeds' directories are kept
# under WORK; each failure prints the command that reproduces it.
#
#   scripts/s6c_corpus.sh [--build-dir build-corpus] [--seeds 1..200] [--classes 25]
#                         [--invalid 4] [--hash 2] [--jobs 2] [--without FEATURE]...
#
# Background-friendly: output goes to WORK/log.txt as well as stdout, e.g.
#   nohup scripts/s6c_corpus.sh --seeds 1..200 > /dev/null 2>&1 &  ; tail -f build-corpus/corpus-large/log.txt
# Needs a build dir with s6c built (ninja -C build-corpus s6c).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${root}/build-corpus"
seeds="1..200"
classes=25
invalid=4
hash=2
jobs=2
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --classes) classes="$2"; shift 2 ;;
    --invalid) invalid="$2"; shift 2 ;;
    --hash) hash="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --without) extra+=(--without "$2"); shift 2 ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
work="${build}/corpus-large"
mkdir -p "${work}"
nice -n 10 /usr/bin/python3 "${root}/tests/compiler/corpus/run_corpus.py" \
  --build-dir "${build}" --seeds "${seeds}" --classes "${classes}" --invalid "${invalid}" \
  --hash "${hash}" --jobs "${jobs}" --work "${work}" "${extra[@]}" 2>&1 | tee "${work}/log.txt"
