#pragma once

#include <span>
#include <string>
#include <vector>

#include "inference/linear.h"
#include "inference/thread_pool.h"
#include "inference/weight_store.h"

namespace msearch::inference {

// Linear with the work split into tiles of rows and output columns. The
// Swin stages have up to thousands of token rows but often fewer than 256
// output columns, which Linear (split by columns only) would run on one
// thread. Each tile is one sgemm of at least 256 rows (or all rows) and 64
// columns, because OpenBLAS packs the tile's weights on every call. By a
// rough estimate that packing costs as much as 64 rows of multiply-adds.
// Same contract as Linear.
void TiledLinear(ThreadPool& pool, const float* input, int rows, int input_stride,
                 std::span<const LinearWeights> segments, float* output, int output_stride,
                 const LinearOptions& options = {});

void TiledLinear(ThreadPool& pool, const float* input, int rows, int input_stride,
                 const LinearWeights& weights, float* output, int output_stride,
                 const LinearOptions& options = {});

// An inference-mode BatchNorm folded into y = x * scale + shift per channel,
// with scale = weight / sqrt(var + eps) and shift = bias - mean * scale in
// float32.
struct BatchNormAffine {
  std::vector<float> scale;
  std::vector<float> shift;
};

// Reads `prefix`.{weight,bias,running_mean,running_var}, each [channels].
BatchNormAffine LoadBatchNorm(WeightStore& weights, const std::string& prefix, int channels,
                              float eps = 1e-5f);

}  // namespace msearch::inference
