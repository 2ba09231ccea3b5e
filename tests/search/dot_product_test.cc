#include "search/dot_product.h"

#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "search/top_k.h"
#include "search_test_util.h"

namespace msearch::search {
namespace {

TEST(InnerProduct, MatchesReferenceForEveryTailLength) {
  for (size_t dimension : {1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 512, 768}) {
    std::vector<float> a = testing::RandomUnitVectors(1, dimension, dimension);
    std::vector<float> b = testing::RandomUnitVectors(1, dimension, dimension + 1000);
    double expected = 0;
    for (size_t i = 0; i < dimension; ++i) expected += static_cast<double>(a[i]) * b[i];
    EXPECT_NEAR(InnerProduct(a.data(), b.data(), dimension), expected, 1e-5)
        << "dimension " << dimension << ", kernel " << InnerProductKernel();
  }
}

TEST(InnerProduct, UnitVectorWithItselfIsOne) {
  std::vector<float> a = testing::RandomUnitVectors(1, 512, 7);
  EXPECT_NEAR(InnerProduct(a.data(), a.data(), a.size()), 1.0f, 1e-5);
}

TEST(NormalizeInPlace, ScalesToUnitLength) {
  std::vector<float> vector = {3, 4};
  ASSERT_TRUE(NormalizeInPlace(vector));
  EXPECT_FLOAT_EQ(vector[0], 0.6f);
  EXPECT_FLOAT_EQ(vector[1], 0.8f);
}

TEST(NormalizeInPlace, RejectsZeroEmptyAndNonFinite) {
  std::vector<float> zero = {0, 0, 0};
  std::vector<float> empty;
  std::vector<float> nan = {1, std::numeric_limits<float>::quiet_NaN()};
  std::vector<float> infinite = {1, std::numeric_limits<float>::infinity()};
  EXPECT_FALSE(NormalizeInPlace(zero));
  EXPECT_FALSE(NormalizeInPlace(empty));
  EXPECT_FALSE(NormalizeInPlace(nan));
  EXPECT_FALSE(NormalizeInPlace(infinite));
  EXPECT_EQ(zero, (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(infinite[0], 1.0f);
}

TEST(TopK, KeepsBestFirstTiesToLowerId) {
  TopK top(3);
  top.Push(5, 0.5f);
  top.Push(1, 0.9f);
  top.Push(9, 0.7f);
  top.Push(2, 0.1f);
  top.Push(3, 0.7f);
  std::vector<SearchHit> hits = top.TakeSorted();
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0], (SearchHit{1, 0.9f}));
  EXPECT_EQ(hits[1], (SearchHit{3, 0.7f}));
  EXPECT_EQ(hits[2], (SearchHit{9, 0.7f}));
}

TEST(TopK, ZeroKeepsNothing) {
  TopK top(0);
  top.Push(1, 1.0f);
  EXPECT_TRUE(top.TakeSorted().empty());
}

}  // namespace
}  // namespace msearch::search
