#include "inference/kernels.h"

#include <array>
#include <atomic>
#include <cfloat>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "inference/attention.h"
#include "inference/gemm_kernel.h"
#include "inference/linear.h"
#include "inference/thread_pool.h"
#include "inference/vector_math.h"

namespace msearch::inference {
namespace {

std::vector<float> RandomValues(size_t count, uint32_t seed, float scale = 1.0f) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(count);
  for (float& value : values) value = normal(generator);
  return values;
}

TEST(VectorMath, ExpMatchesLibm) {
  for (float x = -87.0f; x <= 88.0f; x += 0.0137f) {
    const double expected = std::exp(static_cast<double>(x));
    ASSERT_NEAR(vector_math::Exp(x) / expected, 1.0, 3e-7) << "x = " << x;
  }
  EXPECT_GT(vector_math::Exp(-1000.0f), 0.0f);  // clamped, never 0
  EXPECT_TRUE(std::isfinite(vector_math::Exp(1000.0f)));
}

TEST(VectorMath, ErfMatchesLibm) {
  for (float x = -6.0f; x <= 6.0f; x += 0.001f) {
    ASSERT_NEAR(vector_math::Erf(x), std::erf(static_cast<double>(x)), 5e-7) << "x = " << x;
  }
}

TEST(Kernels, Activations) {
  const std::vector<float> inputs = {-9.0f, -2.0f, -0.5f, 0.0f, 0.3f, 1.0f, 4.0f, 12.0f};
  for (Activation activation :
       {Activation::kQuickGelu, Activation::kGelu, Activation::kGeluTanh, Activation::kRelu}) {
    std::vector<float> values = inputs;
    BiasActivation(values.data(), nullptr, static_cast<int>(values.size()), activation);
    for (size_t i = 0; i < inputs.size(); ++i) {
      const double x = inputs[i];
      double expected = 0;
      switch (activation) {
        case Activation::kQuickGelu:
          expected = x / (1 + std::exp(-1.702 * x));
          break;
        case Activation::kGelu:
          expected = 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
          break;
        case Activation::kGeluTanh:
          expected = 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
          break;
        case Activation::kRelu:
          expected = x > 0 ? x : 0;
          break;
      }
      EXPECT_NEAR(values[i], expected, 1e-6 * (1 + std::fabs(expected)))
          << ActivationName(activation) << " at " << x;
    }
  }
}

TEST(Kernels, LayerNormMatchesDefinition) {
  ThreadPool pool(2);
  const int rows = 5;
  const int width = 37;  // not a multiple of the vector width
  std::vector<float> input = RandomValues(rows * width, 1, 3.0f);
  for (float& value : input) value += 10.0f;  // a large mean tests the two-pass variance
  std::vector<float> gamma = RandomValues(width, 2);
  std::vector<float> beta = RandomValues(width, 3);
  std::vector<float> output(input.size());
  LayerNorm(pool, input.data(), width, output.data(), width, rows, width, gamma.data(), beta.data(),
            1e-5f);
  for (int r = 0; r < rows; ++r) {
    double mean = 0;
    double variance = 0;
    for (int i = 0; i < width; ++i) mean += input[r * width + i];
    mean /= width;
    for (int i = 0; i < width; ++i) variance += std::pow(input[r * width + i] - mean, 2);
    variance /= width;
    for (int i = 0; i < width; ++i) {
      double expected =
          (input[r * width + i] - mean) / std::sqrt(variance + 1e-5) * gamma[i] + beta[i];
      EXPECT_NEAR(output[r * width + i], expected, 2e-5);
    }
  }
}

TEST(Kernels, SoftmaxSumsToOne) {
  std::vector<float> row = {1.0f, 2.0f, 3.0f, -1000.0f, 50.0f};
  SoftmaxRow(row.data(), static_cast<int>(row.size()));
  double total = 0;
  for (float value : row) total += value;
  EXPECT_NEAR(total, 1.0, 1e-6);
  EXPECT_NEAR(row[4], 1.0, 1e-6);
  EXPECT_NEAR(row[2] / row[1], std::exp(1.0), 1e-5);
}

// Linear with three segments, a bias and an activation, or with a fused
// residual, against a plain triple loop, for thread counts 1 to 3.
TEST(Kernels, LinearMatchesNaive) {
  const int rows = 7;
  const int in = 40;
  const std::array<int, 3> outs = {48, 16, 300};
  std::vector<std::vector<float>> weights;
  std::vector<std::vector<float>> biases;
  std::vector<LinearWeights> segments;
  for (size_t s = 0; s < outs.size(); ++s) {
    weights.push_back(RandomValues(outs[s] * in, 10 + s));
    biases.push_back(RandomValues(outs[s], 20 + s));
  }
  for (size_t s = 0; s < outs.size(); ++s) {
    segments.push_back({weights[s].data(), biases[s].data(), outs[s], in});
  }
  const int total = outs[0] + outs[1] + outs[2];
  const int input_stride = in + 3;  // strided input rows
  std::vector<float> input = RandomValues(rows * input_stride, 4);

  for (int threads = 1; threads <= 3; ++threads) {
    ThreadPool pool(threads);
    for (bool residual : {false, true}) {
      SCOPED_TRACE(testing::Message() << threads << " threads, residual " << residual);
      std::vector<float> output = RandomValues(rows * total, 5);
      const std::vector<float> before = output;
      LinearOptions options;
      options.accumulate = residual;
      if (!residual) options.activation = Activation::kQuickGelu;
      Linear(pool, input.data(), rows, input_stride, segments, output.data(), total, options);
      for (int r = 0; r < rows; ++r) {
        int column = 0;
        for (size_t s = 0; s < outs.size(); ++s) {
          for (int o = 0; o < outs[s]; ++o, ++column) {
            double sum = biases[s][o];
            for (int k = 0; k < in; ++k) {
              sum += static_cast<double>(input[r * input_stride + k]) * weights[s][o * in + k];
            }
            double expected =
                residual ? before[r * total + column] + sum : sum / (1 + std::exp(-1.702 * sum));
            ASSERT_NEAR(output[r * total + column], expected, 1e-4) << r << ", " << column;
          }
        }
      }
    }
  }
}

// The reference computation: additive float32-min masks summed in float, as
// transformers 4.27 does, then softmax in double.
std::vector<float> ReferenceAttention(const AttentionShape& shape, const std::vector<float>& qkv) {
  const int length = shape.sequence_length;
  const int width = shape.num_heads * shape.head_dim;
  std::vector<float> output(static_cast<size_t>(shape.batch) * length * width);
  const double scale = 1.0 / std::sqrt(static_cast<double>(shape.head_dim));
  for (int b = 0; b < shape.batch; ++b) {
    for (int h = 0; h < shape.num_heads; ++h) {
      for (int i = 0; i < length; ++i) {
        std::vector<double> scores(length);
        double maximum = -INFINITY;
        for (int j = 0; j < length; ++j) {
          double dot = 0;
          for (int d = 0; d < shape.head_dim; ++d) {
            dot += static_cast<double>(qkv[(b * length + i) * 3 * width + h * shape.head_dim + d]) *
                   qkv[(b * length + j) * 3 * width + width + h * shape.head_dim + d];
          }
          float score = static_cast<float>(dot * scale);
          if (shape.causal && j > i) score += -FLT_MAX;
          if (shape.key_mask != nullptr && shape.key_mask[b * shape.key_mask_stride + j] == 0) {
            score += -FLT_MAX;  // float arithmetic: -FLT_MAX twice overflows to -inf
          }
          scores[j] = score;
          maximum = std::max(maximum, scores[j]);
        }
        double total = 0;
        for (double& score : scores) {
          score = std::isinf(score) ? 0.0 : std::exp(score - maximum);
          total += score;
        }
        for (int d = 0; d < shape.head_dim; ++d) {
          double sum = 0;
          for (int j = 0; j < length; ++j) {
            sum += scores[j] / total *
                   qkv[(b * length + j) * 3 * width + 2 * width + h * shape.head_dim + d];
          }
          output[(b * length + i) * width + h * shape.head_dim + d] = static_cast<float>(sum);
        }
      }
    }
  }
  return output;
}

// Every attention path of this CPU (each kernel's attention functions, then
// OpenBLAS) against the reference, for head sizes that the kernels take
// (multiples of 16) and one they leave to OpenBLAS, with sequence lengths
// around their register blocks.
TEST(Kernels, AttentionMatchesAdditiveMasks) {
  struct Case {
    int sequence_length;
    int num_heads;
    int head_dim;
  };
  const Case cases[] = {{6, 2, 4}, {6, 2, 16}, {13, 3, 32}, {50, 2, 64}};
  std::vector<const gemm::MicroKernel*> paths = gemm::SupportedKernels();
  paths.push_back(nullptr);

  for (const Case& c : cases) {
    AttentionShape shape;
    shape.batch = 3;
    shape.sequence_length = c.sequence_length;
    shape.num_heads = c.num_heads;
    shape.head_dim = c.head_dim;
    const int width = shape.num_heads * shape.head_dim;
    std::vector<float> qkv = RandomValues(shape.batch * shape.sequence_length * 3 * width, 9);
    // Text 0 is fully real, text 1 padded after its first half, text 2 has
    // no real token at all (every query then attends evenly to the keys
    // masked once).
    std::vector<int64_t> mask(3 * shape.sequence_length, 0);
    for (int t = 0; t < shape.sequence_length; ++t) {
      mask[t] = 1;
      mask[shape.sequence_length + t] = t < (shape.sequence_length + 1) / 2 ? 1 : 0;
    }
    for (const gemm::MicroKernel* kernel : paths) {
      for (bool causal : {false, true}) {
        for (bool masked : {false, true}) {
          SCOPED_TRACE(testing::Message()
                       << "length " << c.sequence_length << ", head_dim " << c.head_dim << ", "
                       << (kernel != nullptr ? kernel->name : "openblas") << ", causal " << causal
                       << ", padding mask " << masked);
          shape.causal = causal;
          shape.key_mask = masked ? mask.data() : nullptr;
          shape.key_mask_stride = shape.sequence_length;
          ThreadPool pool(2);
          std::vector<float> scratch(2 *
                                     AttentionScratchFloats(shape.sequence_length, shape.head_dim));
          std::vector<float> output(shape.batch * shape.sequence_length * width);
          SelfAttention(pool, shape, qkv.data(), output.data(), scratch.data(), kernel);
          std::vector<float> expected = ReferenceAttention(shape, qkv);
          for (size_t i = 0; i < output.size(); ++i) {
            ASSERT_NEAR(output[i], expected[i], 1e-5) << "index " << i;
          }
        }
      }
    }
  }
}

TEST(ThreadPool, RunsEveryIndexOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.num_threads(), threads);
    for (int round = 0; round < 200; ++round) {
      const int count = 1 + round % 37;
      std::vector<std::atomic<int>> hits(count);
      std::atomic<bool> thread_in_range{true};
      pool.ParallelFor(count, [&](int i, int thread) {
        hits[i].fetch_add(1);
        if (thread < 0 || thread >= threads) thread_in_range = false;
      });
      for (int i = 0; i < count; ++i) ASSERT_EQ(hits[i].load(), 1) << "round " << round;
      ASSERT_TRUE(thread_in_range);
    }
  }
}

// Loops of alternating sizes, back to back, with more threads than cores and
// bodies that sometimes yield, so workers often still have a finished loop's state
// when the next one starts. Every index must run once, in its own loop, and
// finish before ParallelFor returns.
TEST(ThreadPool, LoopsDoNotOverlap) {
  constexpr int kRounds = 2000;
  ThreadPool pool(4);
  std::vector<std::vector<std::atomic<int>>> hits(kRounds);
  for (int round = 0; round < kRounds; ++round) {
    const int count = round % 2 == 0 ? 1 + round % 5 : 20 + round % 50;
    hits[round] = std::vector<std::atomic<int>>(count);
    std::atomic<int> finished{0};
    pool.ParallelFor(count, [&](int i) {
      if (i % 7 == 3) std::this_thread::yield();
      hits[round][i].fetch_add(1);
      finished.fetch_add(1);
    });
    ASSERT_EQ(finished.load(), count) << "round " << round;
  }
  for (int round = 0; round < kRounds; ++round) {
    for (size_t i = 0; i < hits[round].size(); ++i) {
      ASSERT_EQ(hits[round][i].load(), 1) << "round " << round << ", index " << i;
    }
  }
}

TEST(Kernels, L2NormalizeRow) {
  std::vector<float> row = {3.0f, 4.0f};
  L2NormalizeRow(row.data(), 2);
  EXPECT_FLOAT_EQ(row[0], 0.6f);
  EXPECT_FLOAT_EQ(row[1], 0.8f);
  std::vector<float> zeros = {0.0f, 0.0f};
  L2NormalizeRow(zeros.data(), 2);
  EXPECT_EQ(zeros[0], 0.0f);
}

}  // namespace
}  // namespace msearch::inference
