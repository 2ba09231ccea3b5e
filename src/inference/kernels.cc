#include "inference/kernels.h"

#include <algorithm>
#include <cmath>

#include "inference/vector_math.h"

// Hot loops get AVX-512 and AVX2 clones picked at load time by the CPU, so a
// generic x86-64 build still runs them 8 or 16 floats wide.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MSEARCH_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MSEARCH_VECTOR_CLONES
#endif

namespace msearch::inference {
namespace {

constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr float kSqrtTwoOverPi = 0.79788456080286536f;

MSEARCH_VECTOR_CLONES
void AddBias(float* row, const float* bias, int n) {
  for (int i = 0; i < n; ++i) row[i] += bias[i];
}

MSEARCH_VECTOR_CLONES
void QuickGelu(float* row, int n) {
  for (int i = 0; i < n; ++i) {
    float x = row[i];
    row[i] = x / (1.0f + vector_math::Exp(-1.702f * x));
  }
}

MSEARCH_VECTOR_CLONES
void Gelu(float* row, int n) {
  for (int i = 0; i < n; ++i) {
    float x = row[i];
    row[i] = 0.5f * x * (1.0f + vector_math::Erf(x * kSqrtHalf));
  }
}

MSEARCH_VECTOR_CLONES
void GeluTanh(float* row, int n) {
  for (int i = 0; i < n; ++i) {
    float x = row[i];
    float inner = kSqrtTwoOverPi * (x + 0.044715f * x * x * x);
    row[i] = 0.5f * x * (1.0f + vector_math::Tanh(inner));
  }
}

MSEARCH_VECTOR_CLONES
void Relu(float* row, int n) {
  for (int i = 0; i < n; ++i) row[i] = row[i] > 0.0f ? row[i] : 0.0f;
}

// Sums with 16 independent partial sums, which the compiler keeps in vector
// registers; a single accumulator would serialise the loop.
MSEARCH_VECTOR_CLONES
float Sum(const float* values, int n) {
  float partial[16] = {};
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int j = 0; j < 16; ++j) partial[j] += values[i + j];
  }
  float total = 0.0f;
  for (; i < n; ++i) total += values[i];
  for (float value : partial) total += value;
  return total;
}

MSEARCH_VECTOR_CLONES
float SumSquaredDeviation(const float* values, int n, float mean) {
  float partial[16] = {};
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int j = 0; j < 16; ++j) {
      float d = values[i + j] - mean;
      partial[j] += d * d;
    }
  }
  float total = 0.0f;
  for (; i < n; ++i) total += (values[i] - mean) * (values[i] - mean);
  for (float value : partial) total += value;
  return total;
}

MSEARCH_VECTOR_CLONES
void Normalize(const float* input, float* output, int n, float mean, float scale,
               const float* gamma, const float* beta) {
  for (int i = 0; i < n; ++i) output[i] = (input[i] - mean) * scale * gamma[i] + beta[i];
}

MSEARCH_VECTOR_CLONES
float ExpShifted(float* row, int n, float shift) {
  float partial[16] = {};
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int j = 0; j < 16; ++j) {
      float e = vector_math::Exp(row[i + j] - shift);
      row[i + j] = e;
      partial[j] += e;
    }
  }
  float total = 0.0f;
  for (; i < n; ++i) {
    row[i] = vector_math::Exp(row[i] - shift);
    total += row[i];
  }
  for (float value : partial) total += value;
  return total;
}

MSEARCH_VECTOR_CLONES
void Scale(float* row, int n, float factor) {
  for (int i = 0; i < n; ++i) row[i] *= factor;
}

}  // namespace

void BiasActivation(float* row, const float* bias, int n, std::optional<Activation> activation) {
  if (bias != nullptr) AddBias(row, bias, n);
  if (!activation) return;
  switch (*activation) {
    case Activation::kQuickGelu:
      QuickGelu(row, n);
      break;
    case Activation::kGelu:
      Gelu(row, n);
      break;
    case Activation::kGeluTanh:
      GeluTanh(row, n);
      break;
    case Activation::kRelu:
      Relu(row, n);
      break;
  }
}

void LayerNormRow(const float* input, float* output, int width, const float* gamma,
                  const float* beta, float eps) {
  const float mean = Sum(input, width) / static_cast<float>(width);
  const float variance = SumSquaredDeviation(input, width, mean) / static_cast<float>(width);
  const float scale = 1.0f / std::sqrt(variance + eps);
  Normalize(input, output, width, mean, scale, gamma, beta);
}

void LayerNorm(ThreadPool& pool, const float* input, int input_stride, float* output,
               int output_stride, int rows, int width, const float* gamma, const float* beta,
               float eps) {
  // Blocks of rows keep the per-index overhead small for short rows.
  constexpr int kRowsPerTask = 8;
  const int tasks = (rows + kRowsPerTask - 1) / kRowsPerTask;
  pool.ParallelFor(tasks, [&](int task) {
    const int end = std::min(rows, (task + 1) * kRowsPerTask);
    for (int row = task * kRowsPerTask; row < end; ++row) {
      LayerNormRow(input + static_cast<size_t>(row) * input_stride,
                   output + static_cast<size_t>(row) * output_stride, width, gamma, beta, eps);
    }
  });
}

void SoftmaxRow(float* row, int n) {
  float maximum = row[0];
  for (int i = 1; i < n; ++i) maximum = row[i] > maximum ? row[i] : maximum;
  const float total = ExpShifted(row, n, maximum);
  Scale(row, n, 1.0f / total);
}

void L2NormalizeRow(float* row, int n) {
  double squares = 0;
  for (int i = 0; i < n; ++i) squares += static_cast<double>(row[i]) * row[i];
  if (squares == 0) return;
  Scale(row, n, static_cast<float>(1.0 / std::sqrt(squares)));
}

}  // namespace msearch::inference
