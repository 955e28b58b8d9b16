#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sets up (Debian packages), builds with warnings as errors and runs every test.
# Usage: scripts/test.sh [ctest args...]   e.g. scripts/test.sh -L unit
# Env: S6_BUILD_DIR (default build-ci), S6_SANITIZE (e.g. address,undefined), JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${S6_BUILD_DIR:-build-ci}
JOBS=${JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DS6_WERROR=ON \
  -DS6_SANITIZE="${S6_SANITIZE:-}"
cmake --build "$BUILD_DIR" -j "$JOBS"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" "$@"
