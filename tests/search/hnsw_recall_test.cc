#include <vector>

#include <gtest/gtest.h>

#include "search/vector_index.h"
#include "search_test_util.h"

namespace msearch::search {
namespace {

// Recall@10 of the default HNSW parameters against brute force, on 20000
// vectors of 512 dimensions around 500 centres. Uniformly random vectors
// are left out here: in 512 dimensions no neighbour is much closer than
// the rest, and HNSW needs a candidate list of a large fraction of the
// index to find them (see vector_bench --data random).
TEST(HnswRecall, DefaultsReachRecall98At20k) {
  constexpr size_t kCount = 20000;
  constexpr size_t kDimension = 512;
  constexpr size_t kQueries = 100;
  VectorIndexOptions options;
  options.exact_threshold = 0;
  options.quantized_threshold = 0;
  VectorIndex index("space", kDimension, options);
  std::vector<int64_t> ids(kCount);
  for (size_t i = 0; i < kCount; ++i) ids[i] = static_cast<int64_t>(i + 1);
  std::vector<float> vectors = testing::ClusteredUnitVectors(kCount, kDimension, 500, 7, 42);
  index.Add(ids, vectors);
  ASSERT_EQ(index.mode(), VectorIndex::Mode::kHnsw);

  std::vector<float> queries = testing::ClusteredUnitVectors(kQueries, kDimension, 500, 7, 43);
  double recall_sum = 0;
  for (size_t q = 0; q < kQueries; ++q) {
    std::span<const float> query(queries.data() + q * kDimension, kDimension);
    std::vector<SearchHit> expected = testing::ExactNearest(vectors, ids, kDimension, query, 10);
    recall_sum += testing::Recall(index.Search(query, 10), expected);
  }
  EXPECT_GE(recall_sum / kQueries, 0.98);
}

}  // namespace
}  // namespace msearch::search
