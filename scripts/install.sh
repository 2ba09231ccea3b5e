#!/usr/bin/env bash
# Installs what msearch needs on Debian 12, builds it and creates a small
# sample library for the default configuration to watch. Safe to run again:
# each step skips work that is already done.
#
#   scripts/install.sh               packages, build, sample media
#   scripts/install.sh --deps-only   packages only (used by scripts/test.sh)
#   scripts/install.sh --with-tests  also the packages the test suite needs
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${MSEARCH_BUILD_DIR:-$ROOT/build}"
DEPS_ONLY=0
WITH_TESTS=0
for arg in "$@"; do
  case "$arg" in
    --deps-only) DEPS_ONLY=1 ;;
    --with-tests) WITH_TESTS=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option '$arg' (expected --deps-only or --with-tests)" >&2; exit 2 ;;
  esac
done

fail() {
  echo "install.sh: $*" >&2
  exit 1
}

# Build tools and the libraries msearch links against.
PACKAGES=(
  build-essential cmake pkg-config
  libsqlite3-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev
  libvips-dev
  libspdlog-dev libfmt-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libcpp-httplib-dev libssl-dev
  libicu-dev libopenblas-dev libhnswlib-dev libchromaprint-dev libcurl4-openssl-dev
  libtesseract-dev tesseract-ocr-eng tesseract-ocr-chi-sim
  ffmpeg
)
# The test suite and benchmarks.
TEST_PACKAGES=(libgtest-dev libgmock-dev libbenchmark-dev procps ccache)

install_packages() {
  local wanted=("${PACKAGES[@]}")
  if [[ $WITH_TESTS == 1 ]]; then wanted+=("${TEST_PACKAGES[@]}"); fi
  local missing=()
  for package in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$package")
    fi
  done
  if [[ ${#missing[@]} == 0 ]]; then
    echo "install.sh: all Debian packages present"
    return
  fi
  command -v apt-get >/dev/null || fail "apt-get not found; msearch installs on Debian 12. Install by hand: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || fail "root rights needed to install: ${missing[*]}; run as root or install sudo"
    sudo=(sudo)
  fi
  echo "install.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q || fail "apt-get update failed; check the network and /etc/apt/sources.list"
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    fail "apt-get install failed for: ${missing[*]}"
}

build() {
  local tests=OFF
  if [[ $WITH_TESTS == 1 ]]; then tests=ON; fi
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DMSEARCH_BUILD_TESTS=$tests \
    -DMSEARCH_BUILD_BENCH=$tests >/dev/null || fail "cmake configure failed; see the output above"
  cmake --build "$BUILD_DIR" --target msearch -j "$(nproc)" || fail "build failed; see the output above"
  echo "install.sh: built $BUILD_DIR/src/cli/msearch"
}

# A few seconds of generated media, so a first start has something to find.
make_samples() {
  local samples="$ROOT/samples"
  if [[ -f "$samples/.generated" ]]; then
    echo "install.sh: sample media already in $samples"
    return
  fi
  mkdir -p "$samples/photos" "$samples/clips" "$samples/sounds" "$samples/港口素材"
  local ffmpeg=(ffmpeg -nostdin -hide_banner -loglevel error -y)
  "${ffmpeg[@]}" -f lavfi -i "testsrc2=size=1280x720:rate=1" -frames:v 1 \
    -metadata title="Test pattern" "$samples/photos/test_pattern.jpg"
  "${ffmpeg[@]}" -f lavfi -i "mandelbrot=size=800x600" -frames:v 1 "$samples/photos/mandelbrot.png"
  "${ffmpeg[@]}" -f lavfi -i "smptebars=size=640x360:rate=25:duration=3" \
    -f lavfi -i "testsrc=size=640x360:rate=25:duration=3" \
    -f lavfi -i "sine=frequency=440:duration=6" \
    -filter_complex "[0:v][1:v]concat=n=2:v=1:a=0[v]" -map "[v]" -map 2:a \
    -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest \
    -metadata title="Colour bars and test pattern" "$samples/clips/bars_then_pattern.mp4"
  "${ffmpeg[@]}" -f lavfi -i "sine=frequency=523.25:duration=5" -c:a libmp3lame \
    -metadata title="Sine tone C5" -metadata artist="msearch samples" "$samples/sounds/sine_c5.mp3"
  "${ffmpeg[@]}" -f lavfi -i "gradients=size=960x540:rate=1" -frames:v 1 \
    "$samples/港口素材/日落照片.jpg"
  touch "$samples/.generated"
  echo "install.sh: created sample media in $samples"
}

install_packages
if [[ $DEPS_ONLY == 1 ]]; then exit 0; fi
build
make_samples
mkdir -p "$ROOT/data" "$ROOT/logs"
echo "install.sh: done. Start msearch with: scripts/msearchctl start"
