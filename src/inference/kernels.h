#pragma once

#include <optional>

#include "inference/activation.h"
#include "inference/thread_pool.h"

// Row-major float32 kernels for transformer encoders. Callers pass sizes and
// strides in elements; none of these functions allocate.
namespace msearch::inference {

// Adds `bias` (nullable) to row[0, n) and applies `activation` if given.
void BiasActivation(float* row, const float* bias, int n, std::optional<Activation> activation);

// output = (input - mean) / sqrt(var + eps) * gamma + beta over each of `rows`
// rows of `width` values (biased variance, as torch.nn.LayerNorm). `output`
// may equal `input`. Rows run in parallel.
void LayerNorm(ThreadPool& pool, const float* input, int input_stride, float* output,
               int output_stride, int rows, int width, const float* gamma, const float* beta,
               float eps);

// One row of LayerNorm; `output` may equal `input`.
void LayerNormRow(const float* input, float* output, int width, const float* gamma,
                  const float* beta, float eps);

// In-place softmax of row[0, n), n >= 1.
void SoftmaxRow(float* row, int n);

// Scales row[0, n) to unit L2 norm; an all-zero row stays zero.
void L2NormalizeRow(float* row, int n);

}  // namespace msearch::inference
