#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# s6-snort, one rule option at a time: crafted packets (scapy) and small Snort 2.9 rule files,
# each option must fire on a matching packet and stay silent on a near miss; also rule
# variables (-S) and the rule load report. See snort_options_test.py.
# Usage: snort_options_test.sh S6_SNORT_BIN
# Debian's python3-scapy is importable only from /usr/bin/python3.
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: $0 S6_SNORT_BIN" >&2
  exit 2
fi
exec /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/snort_options_test.py" "$1"
