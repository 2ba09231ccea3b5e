#include "media/perceptual_hash.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <numbers>

namespace msearch::media {
namespace {

constexpr int kReducedSize = 32;
constexpr int kHashSize = 8;

using Plane = std::array<double, kReducedSize * kReducedSize>;

// Averages the luma (BT.601 weights) of the source pixels that fall into each
// cell of a kReducedSize x kReducedSize grid. Cells of images smaller than
// the grid take the nearest source pixel.
Plane ReduceLuma(const RgbImage& image) {
  Plane sums{};
  std::array<int, kReducedSize * kReducedSize> counts{};
  for (int y = 0; y < image.height; ++y) {
    int cell_y = y * kReducedSize / image.height;
    const uint8_t* row = image.rgb.data() + static_cast<size_t>(y) * image.width * 3;
    for (int x = 0; x < image.width; ++x) {
      int cell_x = x * kReducedSize / image.width;
      const uint8_t* pixel = row + static_cast<size_t>(x) * 3;
      int cell = cell_y * kReducedSize + cell_x;
      sums[cell] += 0.299 * pixel[0] + 0.587 * pixel[1] + 0.114 * pixel[2];
      ++counts[cell];
    }
  }

  Plane luma{};
  for (int cell_y = 0; cell_y < kReducedSize; ++cell_y) {
    for (int cell_x = 0; cell_x < kReducedSize; ++cell_x) {
      int cell = cell_y * kReducedSize + cell_x;
      if (counts[cell] > 0) {
        luma[cell] = sums[cell] / counts[cell];
        continue;
      }
      int source_x = std::min(image.width - 1, cell_x * image.width / kReducedSize);
      int source_y = std::min(image.height - 1, cell_y * image.height / kReducedSize);
      int nearest = (source_y * kReducedSize / image.height) * kReducedSize +
                    source_x * kReducedSize / image.width;
      luma[cell] = sums[nearest] / std::max(1, counts[nearest]);
    }
  }
  return luma;
}

// cosines[k][n] = cos(pi * (2n + 1) * k / (2N)) for the frequencies kept.
using CosineTable = std::array<std::array<double, kReducedSize>, kHashSize>;

const CosineTable& Cosines() {
  static const CosineTable table = [] {
    CosineTable values{};
    for (int k = 0; k < kHashSize; ++k) {
      for (int n = 0; n < kReducedSize; ++n) {
        values[k][n] = std::cos(std::numbers::pi * (2 * n + 1) * k / (2.0 * kReducedSize));
      }
    }
    return values;
  }();
  return table;
}

// Returns the kHashSize x kHashSize lowest-frequency DCT-II coefficients,
// computed separably: rows first, then columns. The scale factors are left
// out because only the order of the coefficients matters.
std::array<double, kHashSize * kHashSize> LowFrequencies(const Plane& luma) {
  const CosineTable& cosines = Cosines();
  std::array<std::array<double, kHashSize>, kReducedSize> rows{};
  for (int y = 0; y < kReducedSize; ++y) {
    for (int u = 0; u < kHashSize; ++u) {
      double sum = 0;
      for (int x = 0; x < kReducedSize; ++x) sum += luma[y * kReducedSize + x] * cosines[u][x];
      rows[y][u] = sum;
    }
  }
  std::array<double, kHashSize * kHashSize> coefficients{};
  for (int v = 0; v < kHashSize; ++v) {
    for (int u = 0; u < kHashSize; ++u) {
      double sum = 0;
      for (int y = 0; y < kReducedSize; ++y) sum += rows[y][u] * cosines[v][y];
      coefficients[v * kHashSize + u] = sum;
    }
  }
  return coefficients;
}

}  // namespace

uint64_t PerceptualHash(const RgbImage& image) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() < static_cast<size_t>(image.width) * image.height * 3) {
    return 0;
  }
  std::array<double, kHashSize* kHashSize> coefficients = LowFrequencies(ReduceLuma(image));
  std::array<double, kHashSize* kHashSize> sorted = coefficients;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  double median = sorted[sorted.size() / 2];

  uint64_t hash = 0;
  for (size_t i = 0; i < coefficients.size(); ++i) {
    if (coefficients[i] > median) hash |= uint64_t{1} << i;
  }
  return hash;
}

int HammingDistance(uint64_t a, uint64_t b) { return std::popcount(a ^ b); }

}  // namespace msearch::media
