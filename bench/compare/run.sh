#!/bin/sh
# Compares msearch's inference engine with PyTorch and ONNX Runtime on a
# random-weight CLIP ViT-B/32 checkpoint; see compare.py for what it measures.
#
# Usage: bench/compare/run.sh BUILD_DIR [compare.py options, e.g. --rounds 5]
# BUILD_DIR is a Release build configured with -DMSEARCH_BUILD_BENCH=ON. The
# script builds inference_bench and msearch_make_checkpoint there, installs
# onnxruntime-node from package-lock.json when node_modules is missing, and
# runs compare.py with Debian's /usr/bin/python3 (python3-torch, numpy).
set -eu

if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [--rounds N] [--runs N] [--threads N] [--work DIR]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)

cmake --build "$build" --target inference_bench msearch_make_checkpoint
if [ ! -d "$here/node_modules/onnxruntime-node" ]; then
  # The install script only fetches CUDA binaries from nuget.org; the CPU
  # provider ships in the npm package.
  (cd "$here" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund)
fi
cd "$here"
exec /usr/bin/python3 compare.py --build "$build" "$@"
