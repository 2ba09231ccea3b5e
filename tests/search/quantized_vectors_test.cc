#include "search/quantized_vectors.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "search/code_scores.h"
#include "search/dot_product.h"
#include "search_test_util.h"

namespace msearch::search {
namespace {

using testing::ExactNearest;
using testing::HitIds;
using testing::RandomUnitVectors;

std::vector<int64_t> Sequence(int64_t first, size_t count) {
  std::vector<int64_t> ids(count);
  for (size_t i = 0; i < count; ++i) ids[i] = first + static_cast<int64_t>(i);
  return ids;
}

std::vector<SearchHit> Search(const QuantizedVectors& vectors, std::span<const float> query,
                              size_t k, const IdFilter& filter = {},
                              float min_score = kNoMinScore) {
  TopK top(k);
  vectors.Search(query.data(), filter, min_score, top);
  return top.TakeSorted();
}

TEST(CodeScores, EveryKernelMatchesPortable) {
  std::mt19937 random(5);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> level(-127, 127);
  std::vector<CodeScoreImplementation> kernels = SupportedCodeScoreKernels();
  ASSERT_EQ(kernels.front().name, "portable");
  for (size_t stride : {size_t{64}, size_t{128}, size_t{576}}) {
    constexpr size_t kRows = 7;
    std::vector<uint8_t> codes(kRows * stride);
    for (uint8_t& code : codes) code = static_cast<uint8_t>(byte(random));
    codes[0] = 255;  // the extremes must not saturate
    std::vector<int8_t> query(stride);
    for (int8_t& q : query) q = static_cast<int8_t>(level(random));
    std::vector<int32_t> expected(kRows);
    for (size_t row = 0; row < kRows; ++row) {
      for (size_t i = 0; i < stride; ++i) expected[row] += codes[row * stride + i] * query[i];
    }
    for (const CodeScoreImplementation& kernel : kernels) {
      std::vector<int32_t> out(kRows);
      kernel.score(codes.data(), kRows, stride, query.data(), out.data());
      EXPECT_EQ(out, expected) << kernel.name << ", stride " << stride;
    }
  }
}

TEST(CodeScores, AllHighBytesTimesExtremeQuery) {
  // The largest sums a row can reach, positive and negative.
  constexpr size_t kStride = 512;
  std::vector<uint8_t> codes(2 * kStride, 255);
  std::vector<int8_t> query(kStride, 127);
  std::fill(query.begin() + kStride / 2, query.end(), -127);
  for (const CodeScoreImplementation& kernel : SupportedCodeScoreKernels()) {
    std::vector<int32_t> out(2);
    kernel.score(codes.data(), 2, kStride, query.data(), out.data());
    EXPECT_EQ(out[0], 0) << kernel.name;
    std::vector<int8_t> positive(kStride, 127);
    kernel.score(codes.data(), 2, kStride, positive.data(), out.data());
    EXPECT_EQ(out[1], 255 * 127 * 512) << kernel.name;
  }
}

// Random 512-d unit vectors are a hard case for an estimate: the best
// neighbours of a random query score about 0.2 and differ by thousandths.
TEST(QuantizedVectors, MatchesExactSearchOnRandomVectors) {
  constexpr size_t kCount = 20000;
  constexpr size_t kDimension = 512;
  constexpr size_t kQueries = 40;
  QuantizedVectors index(kDimension);
  std::vector<int64_t> ids = Sequence(1, kCount);
  std::vector<float> vectors = RandomUnitVectors(kCount, kDimension, 21);
  index.Add(ids, vectors);
  std::vector<float> queries = RandomUnitVectors(kQueries, kDimension, 22);
  size_t found = 0;
  for (size_t q = 0; q < kQueries; ++q) {
    std::span<const float> query(queries.data() + q * kDimension, kDimension);
    std::vector<SearchHit> expected = ExactNearest(vectors, ids, kDimension, query, 10);
    std::vector<SearchHit> hits = Search(index, query, 10);
    ASSERT_EQ(hits.size(), 10u);
    found += static_cast<size_t>(testing::Recall(hits, expected) * 10 + 0.5);
    // Returned scores are exact, not estimates.
    for (const SearchHit& hit : hits) {
      const float* row = vectors.data() + (hit.id - 1) * kDimension;
      EXPECT_NEAR(hit.score, InnerProduct(query.data(), row, kDimension), 1e-6);
    }
  }
  EXPECT_GE(found, kQueries * 10 - 1) << "recall@10 of the quantised scan";
}

TEST(QuantizedVectors, SharedComponentKeepsRecall) {
  // Every vector is 0.995 along one axis and 0.1 in a random direction, so
  // the axis dwarfs the differences between vectors. Codes of whole vectors
  // would spend their levels on the axis, but codes of vectors minus the
  // centre do not.
  constexpr size_t kCount = 20000;
  constexpr size_t kDimension = 512;
  constexpr size_t kQueries = 40;
  std::vector<float> vectors = RandomUnitVectors(kCount, kDimension, 35);
  for (size_t row = 0; row < kCount; ++row) {
    float* vector = vectors.data() + row * kDimension;
    for (size_t i = 0; i < kDimension; ++i) vector[i] *= 0.1f;
    vector[0] += 0.995f;
    NormalizeInPlace(std::span<float>(vector, kDimension));
  }
  std::vector<int64_t> ids = Sequence(1, kCount);
  QuantizedVectors index(kDimension);
  index.Add(ids, vectors);
  std::vector<float> queries = RandomUnitVectors(kQueries, kDimension, 36);
  size_t found = 0;
  for (size_t q = 0; q < kQueries; ++q) {
    std::span<const float> query(queries.data() + q * kDimension, kDimension);
    std::vector<SearchHit> expected = ExactNearest(vectors, ids, kDimension, query, 10);
    found += static_cast<size_t>(testing::Recall(Search(index, query, 10), expected) * 10 + 0.5);
  }
  EXPECT_GE(found, kQueries * 10 - 1) << "recall@10 with a shared component";
}

TEST(QuantizedVectors, DimensionOffTheCodeAlignment) {
  constexpr size_t kDimension = 100;
  QuantizedVectors index(kDimension);
  std::vector<int64_t> ids = Sequence(1, 500);
  std::vector<float> vectors = RandomUnitVectors(500, kDimension, 23);
  index.Add(ids, vectors);
  for (size_t row : {size_t{0}, size_t{250}, size_t{499}}) {
    std::span<const float> query(vectors.data() + row * kDimension, kDimension);
    std::vector<SearchHit> hits = Search(index, query, 3);
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits[0].id, static_cast<int64_t>(row + 1));
    EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
    EXPECT_EQ(HitIds(hits), HitIds(ExactNearest(vectors, ids, kDimension, query, 3)));
  }
}

TEST(QuantizedVectors, FilterSelectsBeforeRescoring) {
  // Only every seventh id passes: the hits must be the best of those, not
  // the passing few among the best of all.
  constexpr size_t kDimension = 64;
  QuantizedVectors index(kDimension);
  std::vector<int64_t> ids = Sequence(1, 5000);
  std::vector<float> vectors = RandomUnitVectors(5000, kDimension, 24);
  index.Add(ids, vectors);
  std::vector<int64_t> kept_ids;
  std::vector<float> kept_vectors;
  for (size_t row = 0; row < ids.size(); ++row) {
    if (ids[row] % 7 != 0) continue;
    kept_ids.push_back(ids[row]);
    kept_vectors.insert(kept_vectors.end(), vectors.begin() + row * kDimension,
                        vectors.begin() + (row + 1) * kDimension);
  }
  std::vector<float> query = RandomUnitVectors(1, kDimension, 25);
  std::vector<SearchHit> hits = Search(index, query, 10, [](int64_t id) { return id % 7 == 0; });
  EXPECT_EQ(HitIds(hits), HitIds(ExactNearest(kept_vectors, kept_ids, kDimension, query, 10)));
}

TEST(QuantizedVectors, MinScoreKeepsEveryHitAboveIt) {
  // k far above the number of matches: every vector scoring at least the
  // minimum must come back, none below it.
  constexpr size_t kDimension = 256;
  QuantizedVectors index(kDimension);
  std::vector<int64_t> ids = Sequence(1, 10000);
  std::vector<float> vectors = RandomUnitVectors(10000, kDimension, 26);
  index.Add(ids, vectors);
  std::vector<float> query = RandomUnitVectors(1, kDimension, 27);
  std::vector<SearchHit> ranked = ExactNearest(vectors, ids, kDimension, query, 40);
  float min_score = (ranked[29].score + ranked[30].score) / 2;
  std::vector<SearchHit> hits = Search(index, query, 200, {}, min_score);
  EXPECT_EQ(HitIds(hits), HitIds(std::vector<SearchHit>(ranked.begin(), ranked.begin() + 30)));
}

TEST(QuantizedVectors, RemoveAndReplaceKeepRowsConsistent) {
  constexpr size_t kDimension = 32;
  QuantizedVectors index(kDimension);
  std::vector<int64_t> ids = Sequence(1, 300);
  std::vector<float> vectors = RandomUnitVectors(300, kDimension, 28);
  index.Add(ids, vectors);
  std::vector<int64_t> removed = {1, 50, 299, 300, 1000};
  EXPECT_EQ(index.Remove(removed), 4u);
  EXPECT_EQ(index.size(), 296u);
  EXPECT_FALSE(index.Contains(300));
  // Rows moved into the gaps still find themselves.
  for (int64_t id : {2, 100, 298}) {
    std::span<const float> query(vectors.data() + (id - 1) * kDimension, kDimension);
    EXPECT_EQ(Search(index, query, 1).at(0).id, id);
  }
  for (int64_t id : removed) {
    if (id > 300) continue;
    std::span<const float> query(vectors.data() + (id - 1) * kDimension, kDimension);
    for (const SearchHit& hit : Search(index, query, 296)) EXPECT_NE(hit.id, id);
  }
  // Replacing the vector of id 2 with that of id 3 makes both score 1.
  std::span<const float> third(vectors.data() + 2 * kDimension, kDimension);
  index.Add(std::vector<int64_t>{2}, third);
  std::vector<SearchHit> hits = Search(index, third, 2);
  EXPECT_EQ(HitIds(hits), (std::vector<int64_t>{2, 3}));
  EXPECT_NEAR(hits[1].score, 1.0f, 1e-5);

  std::vector<int64_t> copied_ids;
  std::vector<float> copied;
  index.CopySlots(0, index.slot_count(), copied_ids, copied);
  EXPECT_EQ(copied_ids.size(), 296u);
  EXPECT_EQ(copied.size(), 296u * kDimension);
}

TEST(QuantizedVectors, OneHotVectorsScoreExactly) {
  // A vector with one large element gets a coarse code step, but the
  // rescoring still returns its exact score.
  constexpr size_t kDimension = 128;
  QuantizedVectors index(kDimension);
  std::vector<float> vectors = RandomUnitVectors(200, kDimension, 29);
  std::vector<float> one_hot(kDimension, 0);
  one_hot[5] = 1;
  std::copy(one_hot.begin(), one_hot.end(), vectors.begin());
  index.Add(Sequence(1, 200), vectors);
  std::vector<float> query(kDimension, 0);
  query[5] = 0.6f;
  query[6] = 0.8f;
  std::vector<SearchHit> hits = Search(index, query, 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].id, 1);
  EXPECT_FLOAT_EQ(hits[0].score, 0.6f);
}

TEST(QuantizedVectors, ConcurrentSearchesMatchSerialOnes) {
  // Each thread has its own k and filter, so results mixed up between the
  // searches of a shared scan would show.
  constexpr size_t kDimension = 128;
  constexpr size_t kThreads = 8;
  constexpr size_t kQueries = 12;
  QuantizedVectors index(kDimension);
  index.Add(Sequence(1, 20000), RandomUnitVectors(20000, kDimension, 31));
  std::vector<float> queries = RandomUnitVectors(kThreads * kQueries, kDimension, 32);
  auto filter_of = [](size_t thread) {
    return [thread](int64_t id) { return id % static_cast<int64_t>(thread + 2) != 0; };
  };
  auto query_of = [&](size_t thread, size_t q) {
    return std::span<const float>(queries).subspan((thread * kQueries + q) * kDimension,
                                                   kDimension);
  };
  std::vector<std::vector<std::vector<SearchHit>>> serial(kThreads);
  for (size_t thread = 0; thread < kThreads; ++thread) {
    for (size_t q = 0; q < kQueries; ++q) {
      serial[thread].push_back(Search(index, query_of(thread, q), 5 + thread, filter_of(thread)));
    }
  }

  std::vector<std::vector<std::vector<SearchHit>>> concurrent(kThreads);
  std::vector<std::thread> threads;
  for (size_t thread = 0; thread < kThreads; ++thread) {
    threads.emplace_back([&, thread] {
      for (size_t q = 0; q < kQueries; ++q) {
        concurrent[thread].push_back(
            Search(index, query_of(thread, q), 5 + thread, filter_of(thread)));
      }
    });
  }
  for (std::thread& worker : threads) worker.join();
  for (size_t thread = 0; thread < kThreads; ++thread) {
    for (size_t q = 0; q < kQueries; ++q) {
      EXPECT_EQ(concurrent[thread][q], serial[thread][q]) << "thread " << thread << ", query " << q;
    }
  }
}

TEST(QuantizedVectors, FilterErrorReachesOnlyItsSearch) {
  constexpr size_t kDimension = 64;
  QuantizedVectors index(kDimension);
  index.Add(Sequence(1, 5000), RandomUnitVectors(5000, kDimension, 33));
  std::vector<float> query = RandomUnitVectors(1, kDimension, 34);
  std::vector<SearchHit> expected = Search(index, query, 10);
  IdFilter failing = [](int64_t id) -> bool {
    if (id > 2500) throw std::runtime_error("filter failed");
    return true;
  };

  std::atomic<int> errors = 0;
  std::vector<std::vector<SearchHit>> results(6);
  std::vector<std::thread> threads;
  for (size_t thread = 0; thread < results.size(); ++thread) {
    threads.emplace_back([&, thread] {
      if (thread % 2 == 0) {
        try {
          Search(index, query, 10, failing);
        } catch (const std::runtime_error&) {
          ++errors;
        }
      } else {
        results[thread] = Search(index, query, 10);
      }
    });
  }
  for (std::thread& worker : threads) worker.join();
  EXPECT_EQ(errors.load(), 3);
  for (size_t thread = 1; thread < results.size(); thread += 2) {
    EXPECT_EQ(results[thread], expected) << "thread " << thread;
  }
  // The index still searches after the errors.
  EXPECT_EQ(Search(index, query, 10), expected);
}

TEST(QuantizedVectors, MemoryHoldsCodesBesideFloats) {
  constexpr size_t kDimension = 512;
  QuantizedVectors index(kDimension, 1000);
  index.Add(Sequence(1, 1000), RandomUnitVectors(1000, kDimension, 30));
  // Floats (2048 bytes) plus codes (512 bytes) per vector at least.
  EXPECT_GE(index.MemoryBytes(), 1000u * (2048 + 512));
  EXPECT_LT(index.MemoryBytes(), 1000u * (2048 + 512 + 200));
}

}  // namespace
}  // namespace msearch::search
