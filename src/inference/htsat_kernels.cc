#include "inference/htsat_kernels.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include <cblas.h>

#include "inference/kernels.h"
#include "inference/vector_math.h"

// Hot loops get AVX-512 and AVX2 clones picked at load time by the CPU, as in
// kernels.cc.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MSEARCH_HTSAT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MSEARCH_HTSAT_CLONES
#endif

namespace msearch::inference {
namespace {

constexpr int kMinTileRows = 256;
constexpr int kMinTileColumns = 64;
// Column tiles are multiples of this many outputs, a multiple of the SGEMM
// micro-kernel widths of OpenBLAS.
constexpr int kColumnAlignment = 16;
// Tiles per thread, taken dynamically, so a thread that the OS preempts on a
// busy machine delays less of the layer.
constexpr int kTilesPerThread = 4;

constexpr float kSqrtHalf = 0.70710678118654752f;

// The exact GELU of BiasActivation, with the bias added first, in blocks of
// 16 values: fixed-length inner loops and branch-free clamps are what GCC
// vectorises at -O2, where the row loop of BiasActivation stays scalar.
MSEARCH_HTSAT_CLONES
void BiasGelu(float* row, const float* bias, int n) {
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    // Local copies tell the compiler that `row` and `bias` do not overlap.
    float x[16];
    for (int j = 0; j < 16; ++j) x[j] = row[i + j];
    if (bias != nullptr) {
      for (int j = 0; j < 16; ++j) x[j] += bias[i + j];
    }
    float y[16];
    for (int j = 0; j < 16; ++j) {
      const float clamped = std::min(std::max(x[j] * kSqrtHalf, -4.0f), 4.0f);
      y[j] = 0.5f * x[j] * (1.0f + vector_math::Erf(clamped));
    }
    for (int j = 0; j < 16; ++j) row[i + j] = y[j];
  }
  for (; i < n; ++i) {
    const float x = row[i] + (bias != nullptr ? bias[i] : 0.0f);
    row[i] = 0.5f * x * (1.0f + vector_math::Erf(x * kSqrtHalf));
  }
}

// row += bias in blocks of 16, vectorised for the same reason as BiasGelu.
MSEARCH_HTSAT_CLONES
void AddBiasBlocks(float* row, const float* bias, int n) {
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    float x[16];
    for (int j = 0; j < 16; ++j) x[j] = row[i + j] + bias[i + j];
    for (int j = 0; j < 16; ++j) row[i + j] = x[j];
  }
  for (; i < n; ++i) row[i] += bias[i];
}

void FinishRow(float* row, const float* bias, int n, const LinearOptions& options) {
  if (options.activation == Activation::kGelu) {
    BiasGelu(row, bias, n);
  } else if (!options.activation && bias != nullptr) {
    AddBiasBlocks(row, bias, n);
  } else {
    BiasActivation(row, bias, n, options.activation);
  }
}

}  // namespace

void TiledLinear(ThreadPool& pool, const float* input, int rows, int input_stride,
                 std::span<const LinearWeights> segments, float* output, int output_stride,
                 const LinearOptions& options) {
  assert(!options.accumulate || !options.activation);
  if (rows <= 0 || segments.empty()) return;
  int total_columns = 0;
  for (const LinearWeights& segment : segments) total_columns += segment.out_features;
  const int in_features = segments[0].in_features;

  const int target_tiles = kTilesPerThread * pool.num_threads();
  const int row_tiles = std::clamp(rows / kMinTileRows, 1, target_tiles);
  const int column_tiles = std::clamp((target_tiles + row_tiles - 1) / row_tiles, 1,
                                      std::max(1, total_columns / kMinTileColumns));
  const int rows_per_tile = (rows + row_tiles - 1) / row_tiles;
  int columns_per_tile = (total_columns + column_tiles - 1) / column_tiles;
  columns_per_tile =
      (columns_per_tile + kColumnAlignment - 1) / kColumnAlignment * kColumnAlignment;

  pool.ParallelFor(row_tiles * column_tiles, [&](int tile) {
    const int row_begin = (tile / column_tiles) * rows_per_tile;
    const int count = std::min(rows, row_begin + rows_per_tile) - row_begin;
    const int column_begin = (tile % column_tiles) * columns_per_tile;
    const int column_end = std::min(total_columns, column_begin + columns_per_tile);
    if (count <= 0 || column_begin >= column_end) return;
    const float* in = input + static_cast<size_t>(row_begin) * input_stride;
    float* out = output + static_cast<size_t>(row_begin) * output_stride;
    int segment_begin = 0;
    for (const LinearWeights& segment : segments) {
      const int segment_end = segment_begin + segment.out_features;
      const int begin = std::max(column_begin, segment_begin);
      const int end = std::min(column_end, segment_end);
      if (begin < end) {
        const int local = begin - segment_begin;
        const int width = end - begin;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, count, width, in_features, 1.0f, in,
                    input_stride, segment.weight + static_cast<size_t>(local) * in_features,
                    in_features, options.accumulate ? 1.0f : 0.0f, out + begin, output_stride);
        const float* bias = segment.bias != nullptr ? segment.bias + local : nullptr;
        if (bias != nullptr || options.activation) {
          for (int row = 0; row < count; ++row) {
            FinishRow(out + static_cast<size_t>(row) * output_stride + begin, bias, width, options);
          }
        }
      }
      segment_begin = segment_end;
    }
  });
}

void TiledLinear(ThreadPool& pool, const float* input, int rows, int input_stride,
                 const LinearWeights& weights, float* output, int output_stride,
                 const LinearOptions& options) {
  TiledLinear(pool, input, rows, input_stride, std::span<const LinearWeights>(&weights, 1), output,
              output_stride, options);
}

BatchNormAffine LoadBatchNorm(WeightStore& weights, const std::string& prefix, int channels,
                              float eps) {
  const float* gamma = weights.Get(prefix + ".weight", {channels});
  const float* beta = weights.Get(prefix + ".bias", {channels});
  const float* mean = weights.Get(prefix + ".running_mean", {channels});
  const float* variance = weights.Get(prefix + ".running_var", {channels});
  BatchNormAffine affine;
  affine.scale.resize(channels);
  affine.shift.resize(channels);
  for (int c = 0; c < channels; ++c) {
    const float inverse_std = 1.0f / std::sqrt(variance[c] + eps);
    affine.scale[c] = inverse_std * gamma[c];
    affine.shift[c] = beta[c] - mean[c] * affine.scale[c];
  }
  return affine;
}

}  // namespace msearch::inference
