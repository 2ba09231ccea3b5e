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

# ccache keeps compiled objects between runs, so a rebuild after a small
# change, or in a fresh clone elsewhere on the same machine, compiles only what
# changed. Paths are hashed relative to the repository root for that reason.
LAUNCHER=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=true
  LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DMSEARCH_BUILD_TESTS=ON \
  -DMSEARCH_BUILD_BENCH=ON -DMSEARCH_WERROR=ON "${LAUNCHER[@]}"
cmake --build "$BUILD_DIR" -j "$JOBS"
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 600 -j "$JOBS" "$@"
