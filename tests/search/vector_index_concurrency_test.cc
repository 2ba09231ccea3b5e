#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "search/vector_index.h"
#include "search_test_util.h"

namespace msearch::search {
namespace {

using testing::RandomUnitVectors;

constexpr size_t kDimension = 16;

VectorIndexOptions ForcedHnsw() {
  VectorIndexOptions options;
  options.exact_threshold = 0;
  options.quantized_threshold = 0;
  options.hnsw.m = 8;
  options.hnsw.ef_construction = 50;
  options.hnsw.ef_search = 50;
  options.hnsw.threads = 2;
  return options;
}

// Searches from several threads while the main thread adds batches and a
// rebuild runs: every result must be well formed and must never contain an
// id removed before the searches began.
TEST(VectorIndexConcurrency, SearchesWhileAddingAndRebuilding) {
  VectorIndex index("space", kDimension, ForcedHnsw());
  std::vector<int64_t> first_ids;
  for (int64_t id = 1; id <= 1000; ++id) first_ids.push_back(id);
  index.Add(first_ids, RandomUnitVectors(1000, kDimension, 1));
  std::vector<int64_t> removed;
  for (int64_t id = 1; id <= 1000; id += 5) removed.push_back(id);
  index.Remove(removed);
  const std::set<int64_t> removed_set(removed.begin(), removed.end());

  std::atomic<int64_t> highest_added{1000};
  std::atomic<bool> done{false};
  std::atomic<size_t> searches{0};
  std::atomic<size_t> failures{0};
  auto search_loop = [&](uint64_t seed) {
    std::vector<float> queries = RandomUnitVectors(50, kDimension, seed);
    for (size_t q = 0; !done || q < 50; ++q) {
      std::span<const float> query(queries.data() + (q % 50) * kDimension, kDimension);
      std::vector<SearchHit> hits = index.Search(query, 10);
      // The adder publishes the highest id after each batch, so a search
      // can see at most one batch beyond the value read after it.
      int64_t highest = highest_added.load();
      bool valid = hits.size() == 10;
      for (size_t i = 0; i < hits.size(); ++i) {
        valid = valid && hits[i].id >= 1 && hits[i].id <= highest + 500 &&
                !removed_set.contains(hits[i].id) && hits[i].score <= 1.0001f &&
                (i == 0 || hits[i - 1].score >= hits[i].score);
      }
      if (!valid) ++failures;
      ++searches;
    }
  };
  std::vector<std::thread> searchers;
  for (uint64_t t = 0; t < 4; ++t) searchers.emplace_back(search_loop, 100 + t);

  std::thread rebuilder([&] { index.Rebuild(VectorIndex::Mode::kHnsw); });
  for (int batch = 0; batch < 10; ++batch) {
    std::vector<int64_t> ids;
    for (int64_t i = 1; i <= 500; ++i) ids.push_back(highest_added + i);
    index.Add(ids, RandomUnitVectors(500, kDimension, 200 + static_cast<uint64_t>(batch)));
    highest_added += 500;
  }
  rebuilder.join();
  done = true;
  for (std::thread& searcher : searchers) searcher.join();

  EXPECT_EQ(failures.load(), 0u) << "of " << searches.load() << " searches";
  EXPECT_GE(searches.load(), 200u);
  EXPECT_EQ(index.size(), 1000 - removed.size() + 5000);
}

// Writes made while a rebuild copies the vectors must reach the new
// structure: the log of changes is replayed before the switch.
TEST(VectorIndexConcurrency, RebuildKeepsConcurrentWrites) {
  for (VectorIndex::Mode target : {VectorIndex::Mode::kHnsw, VectorIndex::Mode::kExact}) {
    VectorIndex index("space", kDimension, ForcedHnsw());
    std::vector<int64_t> ids;
    for (int64_t id = 1; id <= 3000; ++id) ids.push_back(id);
    std::vector<float> vectors = RandomUnitVectors(3000, kDimension, 2);
    index.Add(ids, vectors);

    std::set<int64_t> expected(ids.begin(), ids.end());
    std::vector<float> added_vectors = RandomUnitVectors(3000, kDimension, 3);
    std::thread rebuilder([&] { index.Rebuild(target); });
    for (int64_t id = 1; id <= 3000; id += 7) {
      std::vector<int64_t> one = {id};
      index.Remove(one);
      expected.erase(id);
      std::span<const float> vector(added_vectors.data() + (id - 1) * kDimension, kDimension);
      index.Add(10000 + id, vector);
      expected.insert(10000 + id);
    }
    // Replaces a vector that the rebuild may already have copied.
    std::vector<float> replacement = RandomUnitVectors(1, kDimension, 4);
    index.Add(5, replacement);
    expected.insert(5);
    rebuilder.join();

    EXPECT_EQ(index.mode(), target);
    std::vector<int64_t> actual = index.Ids();
    EXPECT_EQ(std::set<int64_t>(actual.begin(), actual.end()), expected);
    std::vector<SearchHit> hits = index.Search(replacement, 1);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].id, 5);
    EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
  }
}

}  // namespace
}  // namespace msearch::search
