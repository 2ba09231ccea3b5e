#!/usr/bin/env bash
# Builds msearch with its tests and runs every test. Works on a fresh Debian
# 12 machine: it installs the packages it needs first (via install.sh).
#
# Tests that need the shared media corpus and model fixtures look for them in
# ../shared next to the repository (or $MSEARCH_SHARED_DIR) and skip with a
# one-line message when they are absent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${MSEARCH_TEST_BUILD_DIR:-$ROOT/build-tests}"
JOBS="${MSEARCH_JOBS:-$(nproc)}"

"$ROOT/scripts/install.sh" --deps-only --with-tests

cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DMSEARCH_BUILD_TESTS=ON \
  -DMSEARCH_BUILD_BENCH=ON -DMSEARCH_WERROR=ON
cmake --build "$BUILD_DIR" -j "$JOBS"
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 600 -j "$JOBS" "$@"
