#pragma once

#include <optional>
#include <span>

#include "inference/activation.h"
#include "inference/thread_pool.h"

namespace msearch::inference {

// A linear layer in the PyTorch layout: `weight` is [out_features,
// in_features] row-major, `bias` is [out_features] or nullptr.
struct LinearWeights {
  const float* weight = nullptr;
  const float* bias = nullptr;
  int out_features = 0;
  int in_features = 0;
};

struct LinearOptions {
  // Adds the result to `output` instead of overwriting it (a fused residual).
  bool accumulate = false;
  // Applied after the bias; not allowed with `accumulate`.
  std::optional<Activation> activation;
};

// output[r, :] (+)= act(input[r, :] W^T + b) for r in [0, rows), where W is the
// concatenation of `segments` along the output axis (all with the same
// in_features), so q, k and v land side by side in one output row. Output
// columns are split into blocks that the pool's threads take in turn. Each
// block is one single-threaded cblas_sgemm (transposed B, no weight copy),
// followed by bias and activation while the block is still in cache.
// Strides are in floats.
void Linear(ThreadPool& pool, const float* input, int rows, int input_stride,
            std::span<const LinearWeights> segments, float* output, int output_stride,
            const LinearOptions& options = {});

// Convenience overload for one weight matrix.
void Linear(ThreadPool& pool, const float* input, int rows, int input_stride,
            const LinearWeights& weights, float* output, int output_stride,
            const LinearOptions& options = {});

// Sets OpenBLAS to one thread per call, which Linear and the attention kernel
// rely on: parallelism comes from the pool, and OpenBLAS's own pthreads would
// otherwise compete with it for the same cores. Safe to call repeatedly.
void UseSingleThreadedBlas();

}  // namespace msearch::inference
