#include "inference/packed_gemm.h"

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "inference/gemm_kernel.h"
#include "inference/linear.h"
#include "inference/safetensors.h"
#include "inference/safetensors_writer.h"
#include "inference/thread_pool.h"
#include "inference/weight_store.h"
#include "support/temp_dir.h"

namespace msearch::inference {
namespace {

std::vector<float> RandomValues(size_t count, uint32_t seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(count);
  for (float& value : values) value = normal(generator);
  return values;
}

// Every GEMM path of this CPU: each supported micro-kernel, then OpenBLAS
// (nullptr), which LinearLayer uses when there is no kernel.
std::vector<const gemm::MicroKernel*> Paths() {
  std::vector<const gemm::MicroKernel*> paths = gemm::SupportedKernels();
  paths.push_back(nullptr);
  return paths;
}

std::string PathName(const gemm::MicroKernel* kernel) {
  return kernel != nullptr ? kernel->name : "openblas";
}

double ActivationReference(Activation activation, double x) {
  switch (activation) {
    case Activation::kQuickGelu:
      return x / (1 + std::exp(-1.702 * x));
    case Activation::kGelu:
      return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case Activation::kGeluTanh:
      return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    case Activation::kRelu:
      return x > 0 ? x : 0;
  }
  return x;
}

// One layer call: rows x depth inputs, segments of the given widths (a
// width with a negative sign has no bias), strides with `gap` extra floats
// per row.
struct GemmCase {
  int rows;
  int depth;
  std::vector<int> widths;
  int gap;
  LinearOptions options;
};

std::string Describe(const GemmCase& c) {
  std::string text =
      std::to_string(c.rows) + " rows, depth " + std::to_string(c.depth) + ", widths";
  for (int width : c.widths) text += " " + std::to_string(width);
  text += ", gap " + std::to_string(c.gap);
  if (c.options.accumulate) text += ", accumulate";
  if (c.options.activation) text += ", " + std::string(ActivationName(*c.options.activation));
  return text;
}

// Runs `c` through LinearLayer on `kernel` with `threads` threads and checks
// every output against a double-precision triple loop, and that the stride
// gaps of the output are not written.
void CheckCase(const GemmCase& c, const gemm::MicroKernel* kernel, int threads) {
  SCOPED_TRACE(Describe(c) + ", " + PathName(kernel) + ", " + std::to_string(threads) + " threads");
  std::vector<std::vector<float>> weights;
  std::vector<std::vector<float>> biases;
  std::vector<LinearWeights> segments;
  int columns = 0;
  for (size_t s = 0; s < c.widths.size(); ++s) {
    const int width = std::abs(c.widths[s]);
    weights.push_back(RandomValues(static_cast<size_t>(width) * c.depth, 100 + s));
    biases.push_back(c.widths[s] > 0 ? RandomValues(width, 200 + s) : std::vector<float>());
    columns += width;
  }
  for (size_t s = 0; s < c.widths.size(); ++s) {
    segments.push_back({weights[s].data(), biases[s].empty() ? nullptr : biases[s].data(),
                        std::abs(c.widths[s]), c.depth});
  }
  const int input_stride = c.depth + c.gap;
  const int output_stride = columns + c.gap;
  const std::vector<float> input = RandomValues(static_cast<size_t>(c.rows) * input_stride, 7);
  std::vector<float> output = RandomValues(static_cast<size_t>(c.rows) * output_stride, 8);
  const std::vector<float> before = output;

  const LinearLayer layer(segments, kernel);
  ASSERT_EQ(layer.packed() != nullptr, kernel != nullptr);
  ASSERT_EQ(layer.out_features(), columns);
  ThreadPool pool(threads);
  Linear(pool, input.data(), c.rows, input_stride, layer, output.data(), output_stride, c.options);

  for (int r = 0; r < c.rows; ++r) {
    int column = 0;
    for (size_t s = 0; s < c.widths.size(); ++s) {
      for (int o = 0; o < std::abs(c.widths[s]); ++o, ++column) {
        double sum = biases[s].empty() ? 0.0 : biases[s][o];
        double magnitude = std::fabs(sum);
        for (int k = 0; k < c.depth; ++k) {
          const double product =
              static_cast<double>(input[static_cast<size_t>(r) * input_stride + k]) *
              weights[s][static_cast<size_t>(o) * c.depth + k];
          sum += product;
          magnitude += std::fabs(product);
        }
        const size_t index = static_cast<size_t>(r) * output_stride + column;
        double expected = sum;
        if (c.options.accumulate) expected += before[index];
        if (c.options.activation) expected = ActivationReference(*c.options.activation, sum);
        // float32 rounding of a sum of `depth` products, in any order.
        const double tolerance = 2e-6 * (magnitude + std::fabs(expected)) + 1e-6;
        ASSERT_NEAR(output[index], expected, tolerance) << "row " << r << ", column " << column;
      }
    }
    for (int g = 0; g < c.gap; ++g) {
      const size_t index = static_cast<size_t>(r) * output_stride + columns + g;
      ASSERT_EQ(output[index], before[index]) << "gap written in row " << r;
    }
  }
}

LinearOptions Accumulate() {
  LinearOptions options;
  options.accumulate = true;
  return options;
}

LinearOptions Activated(Activation activation) {
  LinearOptions options;
  options.activation = activation;
  return options;
}

TEST(PackedGemm, OddShapesMatchReference) {
  // Rows, depth and widths around the tile sizes (8 x 48 and 6 x 16), more
  // than one row block (over 192 rows), more than one depth slice (over 1024).
  const std::vector<GemmCase> cases = {
      {1, 1, {1}, 0, {}},
      {1, 7, {5}, 3, {}},
      {2, 33, {47}, 1, {}},
      {5, 64, {48}, 0, {}},
      {6, 17, {16, 17}, 2, {}},
      {7, 20, {49}, 5, {}},
      {8, 48, {96}, 0, {}},
      {9, 31, {97}, 4, {}},
      {13, 100, {20, -33, 15}, 3, {}},
      {50, 130, {64, 64, 64}, 0, {}},
      {77, 9, {130}, 7, {}},
      {200, 40, {60}, 2, {}},
      {3, 1100, {50}, 1, {}},
      {21, 2100, {33}, 0, {}},
  };
  for (const GemmCase& c : cases) {
    for (const gemm::MicroKernel* kernel : Paths()) {
      for (int threads : {1, 3}) CheckCase(c, kernel, threads);
    }
  }
}

TEST(PackedGemm, AccumulateAddsToOutput) {
  const std::vector<GemmCase> cases = {
      {1, 5, {3}, 2, Accumulate()},
      {11, 70, {50}, 1, Accumulate()},
      {9, 1500, {-40, 20}, 3, Accumulate()},  // two depth slices add to C in turn
      {201, 16, {49}, 0, Accumulate()},
  };
  for (const GemmCase& c : cases) {
    for (const gemm::MicroKernel* kernel : Paths()) {
      for (int threads : {1, 2}) CheckCase(c, kernel, threads);
    }
  }
}

TEST(PackedGemm, ActivationsAfterBias) {
  for (Activation activation :
       {Activation::kQuickGelu, Activation::kGelu, Activation::kGeluTanh, Activation::kRelu}) {
    const std::vector<GemmCase> cases = {
        {3, 12, {7}, 1, Activated(activation)},
        {10, 40, {50, -30}, 2, Activated(activation)},
        {4, 1030, {20}, 0, Activated(activation)},  // applied once, after the last slice
    };
    for (const GemmCase& c : cases) {
      for (const gemm::MicroKernel* kernel : Paths()) CheckCase(c, kernel, 2);
    }
  }
}

TEST(PackedGemm, ZeroRowsWritesNothing) {
  const std::vector<float> weights = RandomValues(16 * 8, 1);
  const LinearWeights view{weights.data(), nullptr, 16, 8};
  std::vector<float> output(16, 3.0f);
  ThreadPool pool(2);
  for (const gemm::MicroKernel* kernel : Paths()) {
    const LinearLayer layer(std::span<const LinearWeights>(&view, 1), kernel);
    Linear(pool, nullptr, 0, 8, layer, output.data(), 16);
    EXPECT_EQ(output, std::vector<float>(16, 3.0f)) << PathName(kernel);
  }
}

TEST(PackedMatrix, PanelLayout) {
  for (const gemm::MicroKernel* kernel : gemm::SupportedKernels()) {
    SCOPED_TRACE(kernel->name);
    const int out = kernel->panel_width + 3;
    const int depth = 5;
    std::vector<float> weights(static_cast<size_t>(out) * depth);
    for (size_t i = 0; i < weights.size(); ++i) weights[i] = static_cast<float>(i);
    std::vector<float> bias(out);
    for (int i = 0; i < out; ++i) bias[i] = 1000.0f + i;
    const LinearWeights view{weights.data(), bias.data(), out, depth};
    const PackedMatrix packed(std::span<const LinearWeights>(&view, 1), *kernel);
    ASSERT_EQ(packed.num_panels(), 2);
    const int width = kernel->panel_width;
    for (int column = 0; column < 2 * width; ++column) {
      const float* panel = packed.panel(column / width);
      for (int k = 0; k < depth; ++k) {
        const float expected = column < out ? weights[static_cast<size_t>(column) * depth + k] : 0;
        ASSERT_EQ(panel[k * width + column % width], expected) << column << ", " << k;
      }
      ASSERT_EQ(packed.bias(column / width)[column % width], column < out ? bias[column] : 0.0f);
    }
    EXPECT_EQ(reinterpret_cast<uintptr_t>(packed.panel(0)) % 64, 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(packed.panel(1)) % 64, 0u);
  }
}

// PackLinear releases the weights' pages of the mapped checkpoint. Reading
// them again must give the file's values, and the packed layer must still
// compute with them.
TEST(PackedGemm, ReleasedCheckpointPagesReadBack) {
  testing::TempDir dir;
  const int out = 300;
  const int in = 1024;  // 1.2 MB of weights: many whole pages to release
  const std::vector<float> weights = RandomValues(static_cast<size_t>(out) * in, 5);
  const std::vector<float> bias = RandomValues(out, 6);
  WriteSafetensors(dir / "model.safetensors", {FloatTensor("layer.weight", {out, in}, weights),
                                               FloatTensor("layer.bias", {out}, bias)});
  auto file = std::make_shared<const SafetensorsFile>(dir / "model.safetensors");
  WeightStore store(file);
  const LinearWeights view = store.Linear("layer", out, in);
  const LinearLayer layer = store.PackLinear(view);

  if (layer.packed() != nullptr) {
    for (size_t i = 0; i < weights.size(); i += 997) ASSERT_EQ(view.weight[i], weights[i]) << i;
  }
  const std::vector<float> input = RandomValues(in, 9);
  std::vector<float> output(out);
  ThreadPool pool(2);
  Linear(pool, input.data(), 1, in, layer, output.data(), out);
  for (int o = 0; o < out; ++o) {
    double sum = bias[o];
    for (int k = 0; k < in; ++k) sum += static_cast<double>(input[k]) * weights[o * in + k];
    ASSERT_NEAR(output[o], sum, 1e-4) << o;
  }
}

}  // namespace
}  // namespace msearch::inference
