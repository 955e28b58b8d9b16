#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs this build into a temporary prefix and builds an out-of-tree project against it
# with find_package(S6) + s6_add_objects(); then runs the result.
# Usage: find_package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/integration/find_package" -B "$work/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >/dev/null
cmake --build "$work/consumer"
"$work/consumer/consumer"
grep -q "consumer::Tally" "$work/consumer/consumer_objects.s6/consumer_state.s6.h"
echo "find_package(S6) consumer built and ran"
