// TiledLinear, the row-and-column tiled Linear of the HTSAT tower, against
// Linear on shapes that leave partial tiles.

#include <array>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "inference/htsat_kernels.h"
#include "inference/linear.h"

namespace msearch::inference {
namespace {

struct Case {
  int rows;
  int in_features;
  std::array<int, 2> out_features;  // two segments, side by side in the output
};

std::vector<float> RandomValues(size_t count, std::mt19937& random) {
  std::normal_distribution<float> normal;
  std::vector<float> values(count);
  for (float& value : values) value = normal(random);
  return values;
}

TEST(TiledLinear, MatchesLinear) {
  const Case cases[] = {
      {700, 96, {96, 40}}, {64, 384, {1536, 0}}, {1, 16, {48, 48}}, {4096, 16, {96, 0}}};
  std::mt19937 random(5);
  ThreadPool pool(2);
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.rows << "x" << c.in_features);
    std::vector<LinearWeights> segments;
    std::vector<std::vector<float>> storage;
    int total = 0;
    for (int out : c.out_features) {
      if (out == 0) continue;
      storage.push_back(RandomValues(static_cast<size_t>(out) * c.in_features, random));
      storage.push_back(RandomValues(out, random));
      segments.push_back(
          {storage[storage.size() - 2].data(), storage.back().data(), out, c.in_features});
      total += out;
    }
    const std::vector<float> input =
        RandomValues(static_cast<size_t>(c.rows) * c.in_features, random);
    const std::vector<float> start = RandomValues(static_cast<size_t>(c.rows) * total, random);
    LinearOptions gelu;
    gelu.activation = Activation::kGelu;
    LinearOptions residual;
    residual.accumulate = true;
    for (const LinearOptions& options : {LinearOptions{}, gelu, residual}) {
      std::vector<float> expected = start;
      std::vector<float> actual = start;
      Linear(pool, input.data(), c.rows, c.in_features, segments, expected.data(), total, options);
      TiledLinear(pool, input.data(), c.rows, c.in_features, segments, actual.data(), total,
                  options);
      for (size_t i = 0; i < expected.size(); ++i) {
        ASSERT_NEAR(actual[i], expected[i], 1e-5f * (1.0f + std::abs(expected[i])))
            << "value " << i;
      }
    }
  }
}

}  // namespace
}  // namespace msearch::inference
