#include "search/vector_index.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "search/quantized_vectors.h"
#include "search_test_util.h"

namespace msearch::search {
namespace {

using testing::ExactNearest;
using testing::HitIds;
using testing::RandomUnitVectors;

VectorIndexOptions HnswOptions() {
  VectorIndexOptions options = testing::OptionsForcing(VectorIndex::Mode::kHnsw);
  options.hnsw.m = 16;
  options.hnsw.ef_construction = 100;
  options.hnsw.ef_search = 100;
  options.hnsw.threads = 1;  // one thread builds the same graph every run
  return options;
}

std::vector<int64_t> Sequence(int64_t first, size_t count) {
  std::vector<int64_t> ids(count);
  for (size_t i = 0; i < count; ++i) ids[i] = first + static_cast<int64_t>(i);
  return ids;
}

class VectorIndexModes : public ::testing::TestWithParam<VectorIndex::Mode> {
 protected:
  VectorIndexOptions Options() const {
    return GetParam() == VectorIndex::Mode::kHnsw ? HnswOptions()
                                                  : testing::OptionsForcing(GetParam());
  }
};

INSTANTIATE_TEST_SUITE_P(Modes, VectorIndexModes,
                         ::testing::Values(VectorIndex::Mode::kExact, VectorIndex::Mode::kQuantized,
                                           VectorIndex::Mode::kHnsw),
                         [](const auto& mode_info) {
                           return std::string(ModeName(mode_info.param));
                         });

TEST_P(VectorIndexModes, StartsInConfiguredMode) {
  VectorIndex index("space", 4, Options());
  EXPECT_EQ(index.mode(), GetParam());
}

TEST_P(VectorIndexModes, FindsNearestAxis) {
  VectorIndex index("space", 3, Options());
  std::vector<int64_t> ids = {10, 20, 30};
  std::vector<float> axes = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  index.Add(ids, axes);
  std::vector<float> query = {0.1f, 1.0f, 0.2f};
  std::vector<SearchHit> hits = index.Search(query, 2);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].id, 20);
  EXPECT_NEAR(hits[0].score, 1.0 / std::sqrt(1.05), 1e-5);
  EXPECT_EQ(hits[1].id, 30);
  EXPECT_GT(hits[0].score, hits[1].score);
}

TEST_P(VectorIndexModes, NormalisesAddedVectors) {
  VectorIndex index("space", 2, Options());
  std::vector<float> vector = {3, 4};
  index.Add(7, vector);
  std::vector<float> query = {1, 0};
  std::vector<SearchHit> hits = index.Search(query, 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_NEAR(hits[0].score, 0.6f, 1e-6);
}

TEST_P(VectorIndexModes, AddReplacesVectorOfExistingId) {
  VectorIndex index("space", 2, Options());
  std::vector<float> first = {1, 0};
  std::vector<float> second = {0, 1};
  index.Add(1, first);
  index.Add(2, first);
  index.Add(1, second);
  EXPECT_EQ(index.size(), 2u);
  std::vector<SearchHit> hits = index.Search(second, 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].id, 1);
  EXPECT_NEAR(hits[0].score, 1.0f, 1e-6);
}

TEST_P(VectorIndexModes, RepeatedIdInBatchKeepsLastVector) {
  VectorIndex index("space", 2, Options());
  std::vector<int64_t> ids = {4, 4};
  std::vector<float> vectors = {1, 0, 0, 1};
  index.Add(ids, vectors);
  EXPECT_EQ(index.size(), 1u);
  std::vector<float> query = {0, 1};
  EXPECT_NEAR(index.Search(query, 1).at(0).score, 1.0f, 1e-6);
}

TEST_P(VectorIndexModes, RemovedIdsAreNeverReturned) {
  constexpr size_t kCount = 600;
  constexpr size_t kDimension = 16;
  VectorIndex index("space", kDimension, Options());
  std::vector<int64_t> ids = Sequence(1, kCount);
  index.Add(ids, RandomUnitVectors(kCount, kDimension, 1));
  std::vector<int64_t> removed;
  for (int64_t id : ids) {
    if (id % 3 == 0) removed.push_back(id);
  }
  EXPECT_EQ(index.Remove(removed), removed.size());
  EXPECT_EQ(index.Remove(removed), 0u);
  EXPECT_EQ(index.size(), kCount - removed.size());
  EXPECT_FALSE(index.Contains(3));
  EXPECT_TRUE(index.Contains(4));
  std::vector<float> queries = RandomUnitVectors(20, kDimension, 2);
  for (size_t q = 0; q < 20; ++q) {
    std::span<const float> query(queries.data() + q * kDimension, kDimension);
    std::vector<SearchHit> hits = index.Search(query, kCount);
    EXPECT_EQ(hits.size(), kCount - removed.size());
    for (const SearchHit& hit : hits) ASSERT_NE(hit.id % 3, 0) << "removed id " << hit.id;
  }
}

TEST_P(VectorIndexModes, IdsAreSortedAndCurrent) {
  VectorIndex index("space", 4, Options());
  std::vector<int64_t> ids = {9, 3, 7, 1};
  index.Add(ids, RandomUnitVectors(4, 4, 3));
  std::vector<int64_t> removed = {7};
  index.Remove(removed);
  EXPECT_EQ(index.Ids(), (std::vector<int64_t>{1, 3, 9}));
}

TEST_P(VectorIndexModes, FilterKeepsOnlyAcceptedIds) {
  constexpr size_t kCount = 2000;
  constexpr size_t kDimension = 16;
  VectorIndex index("space", kDimension, Options());
  std::vector<int64_t> ids = Sequence(1, kCount);
  std::vector<float> vectors = RandomUnitVectors(kCount, kDimension, 4);
  index.Add(ids, vectors);
  std::vector<float> query = RandomUnitVectors(1, kDimension, 5);
  // Accepts one id in 100: the graph search must widen or fall back to a scan.
  auto rare = [](int64_t id) { return id % 100 == 0; };
  std::vector<SearchHit> hits = index.Search(query, 5, rare);
  std::vector<int64_t> rare_ids;
  std::vector<float> rare_vectors;
  for (size_t row = 0; row < kCount; ++row) {
    if (!rare(ids[row])) continue;
    rare_ids.push_back(ids[row]);
    rare_vectors.insert(rare_vectors.end(), vectors.begin() + row * kDimension,
                        vectors.begin() + (row + 1) * kDimension);
  }
  EXPECT_EQ(HitIds(hits), HitIds(ExactNearest(rare_vectors, rare_ids, kDimension, query, 5)));
}

TEST_P(VectorIndexModes, MinScoreDropsWeakHits) {
  constexpr size_t kCount = 500;
  constexpr size_t kDimension = 8;
  VectorIndex index("space", kDimension, Options());
  std::vector<int64_t> ids = Sequence(1, kCount);
  std::vector<float> vectors = RandomUnitVectors(kCount, kDimension, 6);
  index.Add(ids, vectors);
  std::vector<float> query = RandomUnitVectors(1, kDimension, 7);
  std::vector<SearchHit> all = ExactNearest(vectors, ids, kDimension, query, kCount);
  size_t above = static_cast<size_t>(std::count_if(
      all.begin(), all.end(), [](const SearchHit& hit) { return hit.score >= 0.5f; }));
  ASSERT_GT(above, 0u);
  std::vector<SearchHit> hits = index.Search(query, kCount, {}, 0.5f);
  for (const SearchHit& hit : hits) EXPECT_GE(hit.score, 0.5f);
  EXPECT_GE(hits.size(), above * 9 / 10);
  EXPECT_LE(hits.size(), above);
}

TEST_P(VectorIndexModes, EmptyIndexReturnsNothing) {
  VectorIndex index("space", 4, Options());
  std::vector<float> query = {1, 0, 0, 0};
  EXPECT_TRUE(index.Search(query, 10).empty());
  EXPECT_TRUE(index.Search(query, 0).empty());
}

TEST_P(VectorIndexModes, RejectsInvalidVectorsAndAddsNothing) {
  VectorIndex index("clip/image", 4, Options());
  std::vector<int64_t> ids = {1, 2};
  std::vector<float> short_batch = {1, 0, 0, 0, 1};
  try {
    index.Add(ids, short_batch);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("clip/image"), std::string::npos) << message;
    EXPECT_NE(message.find("8"), std::string::npos) << message;
    EXPECT_NE(message.find("5"), std::string::npos) << message;
  }
  std::vector<float> with_zero = {1, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_THROW(index.Add(ids, with_zero), Error);
  std::vector<float> with_nan = {1, 0, 0, 0, std::nanf(""), 1, 0, 0};
  EXPECT_THROW(index.Add(ids, with_nan), Error);
  std::vector<float> wrong_length = {1, 0, 0};
  EXPECT_THROW(index.Add(3, wrong_length), Error);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_THROW(index.Search(wrong_length, 1), Error);
  std::vector<float> zero_query = {0, 0, 0, 0};
  EXPECT_THROW(index.Search(zero_query, 1), Error);
}

TEST(VectorIndex, ExactAndHnswAgreeOnSmallSet) {
  constexpr size_t kCount = 1000;
  constexpr size_t kDimension = 32;
  VectorIndex exact("space", kDimension, testing::OptionsForcing(VectorIndex::Mode::kExact));
  VectorIndex hnsw("space", kDimension, HnswOptions());
  std::vector<int64_t> ids = Sequence(100, kCount);
  std::vector<float> vectors = RandomUnitVectors(kCount, kDimension, 8);
  exact.Add(ids, vectors);
  hnsw.Add(ids, vectors);
  std::vector<float> queries = RandomUnitVectors(30, kDimension, 9);
  size_t matched = 0;
  for (size_t q = 0; q < 30; ++q) {
    std::span<const float> query(queries.data() + q * kDimension, kDimension);
    std::vector<SearchHit> expected = ExactNearest(vectors, ids, kDimension, query, 10);
    std::vector<SearchHit> from_exact = exact.Search(query, 10);
    EXPECT_EQ(HitIds(from_exact), HitIds(expected));
    for (size_t i = 0; i < from_exact.size(); ++i) {
      EXPECT_NEAR(from_exact[i].score, expected[i].score, 1e-5);
    }
    matched += static_cast<size_t>(testing::Recall(hnsw.Search(query, 10), expected) * 10 + 0.5);
  }
  EXPECT_GE(matched, 30u * 10u * 99 / 100) << "HNSW recall@10 on 1000 vectors";
}

TEST(VectorIndex, MaintainSwitchesModesAtThreshold) {
  VectorIndexOptions options = HnswOptions();
  options.exact_threshold = 100;
  VectorIndex index("space", 8, options);
  EXPECT_EQ(index.mode(), VectorIndex::Mode::kExact);
  std::vector<int64_t> ids = Sequence(1, 150);
  std::vector<float> vectors = RandomUnitVectors(150, 8, 10);
  index.Add(ids, vectors);
  EXPECT_EQ(index.PendingRebuild(), VectorIndex::Mode::kHnsw);
  EXPECT_TRUE(index.Maintain());
  EXPECT_EQ(index.mode(), VectorIndex::Mode::kHnsw);
  EXPECT_EQ(index.Ids(), ids);
  EXPECT_FALSE(index.Maintain());

  std::vector<int64_t> removed = Sequence(1, 110);
  index.Remove(removed);
  EXPECT_EQ(index.PendingRebuild(), VectorIndex::Mode::kExact);
  EXPECT_TRUE(index.Maintain());
  EXPECT_EQ(index.mode(), VectorIndex::Mode::kExact);
  EXPECT_EQ(index.Ids(), Sequence(111, 40));
  std::span<const float> last(vectors.data() + 149 * 8, 8);
  EXPECT_EQ(index.Search(last, 1).at(0).id, 150);
}

TEST(VectorIndex, MaintainMovesThroughThreeModes) {
  VectorIndexOptions options = HnswOptions();
  options.exact_threshold = 100;
  options.quantized_threshold = 300;
  VectorIndex index("space", 8, options);
  std::vector<int64_t> ids = Sequence(1, 350);
  std::vector<float> vectors = RandomUnitVectors(350, 8, 13);
  std::span<const int64_t> all(ids);
  std::span<const float> all_vectors(vectors);
  index.Add(all.first(150), all_vectors.first(150 * 8));
  EXPECT_TRUE(index.Maintain());
  EXPECT_EQ(index.mode(), VectorIndex::Mode::kQuantized);
  index.Add(all.subspan(150), all_vectors.subspan(150 * 8));
  EXPECT_TRUE(index.Maintain());
  EXPECT_EQ(index.mode(), VectorIndex::Mode::kHnsw);

  // Down only below half the threshold of the current mode.
  index.Remove(all.first(150));
  EXPECT_EQ(index.PendingRebuild(), std::nullopt);
  index.Remove(all.subspan(150, 60));
  EXPECT_EQ(index.PendingRebuild(), VectorIndex::Mode::kQuantized);
  EXPECT_TRUE(index.Maintain());
  EXPECT_EQ(index.mode(), VectorIndex::Mode::kQuantized);
  index.Remove(all.subspan(210, 80));
  EXPECT_EQ(index.size(), 60u);
  EXPECT_EQ(index.PendingRebuild(), std::nullopt);
  index.Remove(all.subspan(290, 20));
  EXPECT_TRUE(index.Maintain());
  EXPECT_EQ(index.mode(), VectorIndex::Mode::kExact);
  EXPECT_EQ(index.Ids(), Sequence(311, 40));
  std::span<const float> last(vectors.data() + 349 * 8, 8);
  EXPECT_EQ(index.Search(last, 1).at(0).id, 350);
}

TEST(VectorIndex, LongVectorsSkipTheQuantisedScan) {
  VectorIndexOptions options = testing::OptionsForcing(VectorIndex::Mode::kQuantized);
  EXPECT_EQ(VectorIndex::ModeForSize(options, QuantizedVectors::kMaxDimension, 10),
            VectorIndex::Mode::kQuantized);
  EXPECT_EQ(VectorIndex::ModeForSize(options, QuantizedVectors::kMaxDimension + 1, 10),
            VectorIndex::Mode::kHnsw);
  EXPECT_THROW(QuantizedVectors(QuantizedVectors::kMaxDimension + 1), Error);
}

TEST(VectorIndex, CompactionDropsDeletedElements) {
  VectorIndexOptions options = HnswOptions();
  options.compact_min_deleted = 10;
  VectorIndex index("space", 8, options);
  std::vector<int64_t> ids = Sequence(1, 1000);
  index.Add(ids, RandomUnitVectors(1000, 8, 11));
  std::vector<int64_t> removed = Sequence(1, 400);
  index.Remove(removed);
  EXPECT_EQ(index.stats().deleted, 400u);
  size_t memory_before = index.stats().memory_bytes;
  EXPECT_EQ(index.PendingRebuild(), VectorIndex::Mode::kHnsw);
  EXPECT_TRUE(index.Maintain());
  VectorIndex::Stats stats = index.stats();
  EXPECT_EQ(stats.deleted, 0u);
  EXPECT_EQ(stats.size, 600u);
  EXPECT_LT(stats.memory_bytes, memory_before);
  EXPECT_EQ(index.Ids(), Sequence(401, 600));
}

TEST(VectorIndex, MemoryEstimateGrowsWithVectors) {
  VectorIndex index("space", 64, HnswOptions());
  size_t empty = index.stats().memory_bytes;
  std::vector<int64_t> ids = Sequence(1, 2000);
  index.Add(ids, RandomUnitVectors(2000, 64, 12));
  // Each element stores at least its 256-byte vector.
  EXPECT_GT(index.stats().memory_bytes, empty + 2000 * 256);
}

}  // namespace
}  // namespace msearch::search
