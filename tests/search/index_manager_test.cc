#include "search/index_manager.h"

#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/error.h"
#include "search_test_util.h"

namespace msearch::search {
namespace {

using testing::CatalogWithVectors;
using testing::HitIds;
using testing::RandomUnitVectors;

constexpr size_t kDimension = 16;

class IndexManagerTest : public ::testing::TestWithParam<VectorIndex::Mode> {
 protected:
  IndexManagerOptions Options() const { return catalog_.ManagerOptions(GetParam()); }

  // Stores `count` random vectors for a new file and returns their ids.
  std::vector<int64_t> AddFileWithVectors(const std::string& name, const std::string& space,
                                          size_t count, uint64_t seed) {
    int64_t file_id = catalog_.AddFile(name);
    file_ids_[name] = file_id;
    return catalog_.StoreVectors(file_id, space, RandomUnitVectors(count, kDimension, seed),
                                 kDimension);
  }

  // The top hit for the stored vector of `id`, which must be `id` itself.
  SearchHit TopHitFor(IndexManager& manager, const std::string& space, int64_t id) {
    std::vector<SearchHit> hits = manager.Search(space, catalog_.VectorOf(id), 1);
    return hits.empty() ? SearchHit{-1, 0} : hits[0];
  }

  CatalogWithVectors catalog_;
  std::map<std::string, int64_t> file_ids_;
};

INSTANTIATE_TEST_SUITE_P(Modes, IndexManagerTest,
                         ::testing::Values(VectorIndex::Mode::kExact, VectorIndex::Mode::kQuantized,
                                           VectorIndex::Mode::kHnsw),
                         [](const auto& mode_info) {
                           return std::string(ModeName(mode_info.param));
                         });

TEST_P(IndexManagerTest, OpenBuildsEverySpaceFromCatalog) {
  std::vector<int64_t> image = AddFileWithVectors("a.jpg", "clip/image", 30, 1);
  std::vector<int64_t> audio = AddFileWithVectors("b.wav", "clap/audio", 20, 2);
  IndexManager manager(Options());
  manager.Open();
  EXPECT_EQ(TopHitFor(manager, "clip/image", image[7]).id, image[7]);
  EXPECT_NEAR(TopHitFor(manager, "clip/image", image[7]).score, 1.0f, 1e-5);
  EXPECT_EQ(TopHitFor(manager, "clap/audio", audio[3]).id, audio[3]);
  // A search in one space never returns vectors of another.
  for (const SearchHit& hit : manager.Search("clap/audio", catalog_.VectorOf(image[0]), 50)) {
    EXPECT_TRUE(std::find(audio.begin(), audio.end(), hit.id) != audio.end());
  }
  std::vector<SpaceStatus> status = manager.Status();
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0].space, "clap/audio");
  EXPECT_EQ(status[0].stats.size, 20u);
  EXPECT_EQ(status[1].dimension, kDimension);
  EXPECT_TRUE(manager.Search("unknown", catalog_.VectorOf(image[0]), 5).empty());
}

TEST_P(IndexManagerTest, RemovalsTakeEffectAtOnce) {
  std::vector<int64_t> first = AddFileWithVectors("a.jpg", "clip/image", 10, 1);
  std::vector<int64_t> second = AddFileWithVectors("b.jpg", "clip/image", 10, 2);
  IndexManager manager(Options());
  manager.Open();
  std::vector<int64_t> removed = {first[0], first[1], 999999};
  EXPECT_EQ(manager.RemoveIds(removed), 2u);
  EXPECT_EQ(manager.RemoveFile(file_ids_["b.jpg"]), 10u);
  std::vector<SearchHit> hits = manager.Search("clip/image", catalog_.VectorOf(first[0]), 100);
  EXPECT_EQ(hits.size(), 8u);
  for (const SearchHit& hit : hits) {
    EXPECT_NE(hit.id, first[0]);
    EXPECT_NE(hit.id, first[1]);
    EXPECT_TRUE(std::find(second.begin(), second.end(), hit.id) == second.end());
  }
}

TEST_P(IndexManagerTest, RefreshFileFollowsReplacedVectors) {
  AddFileWithVectors("a.jpg", "clip/image", 10, 1);
  IndexManager manager(Options());
  manager.Open();
  int64_t file_id = file_ids_["a.jpg"];
  std::vector<int64_t> new_ids =
      catalog_.StoreVectors(file_id, "clip/image", RandomUnitVectors(4, kDimension, 5), kDimension);
  std::vector<int64_t> audio_ids =
      catalog_.StoreVectors(file_id, "clap/audio", RandomUnitVectors(3, kDimension, 6), kDimension);
  SyncCounts counts = manager.RefreshFile(file_id);
  EXPECT_EQ(counts.added, 7u);
  EXPECT_EQ(counts.removed, 10u);
  // SQLite reuses the ids of the deleted rows, so only the set of ids and
  // the vectors behind them tell old from new.
  std::vector<SearchHit> hits = manager.Search("clip/image", catalog_.VectorOf(new_ids[2]), 100);
  ASSERT_EQ(hits.size(), 4u);
  EXPECT_EQ(hits[0].id, new_ids[2]);
  EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
  std::vector<int64_t> found = HitIds(hits);
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, new_ids);
  EXPECT_EQ(manager.FindIndex("clip/image")->Ids(), new_ids);
  EXPECT_EQ(TopHitFor(manager, "clap/audio", audio_ids[1]).id, audio_ids[1]);
  SyncCounts again = manager.RefreshFile(file_id);
  EXPECT_EQ(again.added + again.removed, 0u);
}

TEST_P(IndexManagerTest, CatchUpAppliesCatalogChanges) {
  std::vector<int64_t> kept = AddFileWithVectors("a.jpg", "clip/image", 10, 1);
  AddFileWithVectors("b.jpg", "clip/image", 10, 2);
  IndexManager manager(Options());
  manager.Open();
  catalog_.DeleteFile(file_ids_["b.jpg"]);
  std::vector<int64_t> added = AddFileWithVectors("c.jpg", "clip/image", 5, 3);
  SyncCounts counts = manager.CatchUp();
  EXPECT_EQ(counts.removed, 10u);
  EXPECT_EQ(counts.added, 5u);
  std::vector<int64_t> expected = kept;
  expected.insert(expected.end(), added.begin(), added.end());
  EXPECT_EQ(manager.FindIndex("clip/image")->Ids(), expected);
  EXPECT_EQ(manager.CatchUp().added, 0u);
}

TEST_P(IndexManagerTest, CatchUpEmptiesSpaceWithoutVectors) {
  AddFileWithVectors("a.jpg", "clip/image", 10, 1);
  IndexManager manager(Options());
  manager.Open();
  catalog_.DeleteFile(file_ids_["a.jpg"]);
  EXPECT_EQ(manager.CatchUp().removed, 10u);
  EXPECT_EQ(manager.FindIndex("clip/image")->size(), 0u);
}

TEST_P(IndexManagerTest, SpaceWithNewDimensionIsRebuilt) {
  AddFileWithVectors("a.jpg", "model", 10, 1);
  IndexManager manager(Options());
  manager.Open();
  catalog_.DeleteFile(file_ids_["a.jpg"]);
  int64_t file_id = catalog_.AddFile("b.jpg");
  std::vector<int64_t> ids =
      catalog_.StoreVectors(file_id, "model", RandomUnitVectors(6, 32, 2), 32);
  manager.CatchUp();
  EXPECT_EQ(manager.FindIndex("model")->dimension(), 32u);
  EXPECT_EQ(manager.FindIndex("model")->Ids(), ids);
  std::vector<float> wrong(kDimension, 1.0f);
  EXPECT_THROW(manager.Search("model", wrong, 1), Error);
}

TEST_P(IndexManagerTest, BackgroundUpkeepCatchesUpAndSavesOnStop) {
  IndexManagerOptions options = Options();
  options.catch_up_interval_s = 0.05;
  options.save_interval_s = 3600;
  IndexManager manager(options);
  manager.Open();
  manager.Start();
  std::vector<int64_t> ids = AddFileWithVectors("a.jpg", "clip/image", 10, 1);
  double deadline = MonotonicSeconds() + 60;
  while (TopHitFor(manager, "clip/image", ids[4]).id != ids[4] && MonotonicSeconds() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(TopHitFor(manager, "clip/image", ids[4]).id, ids[4]);
  manager.Stop();
  std::vector<SpaceStatus> status = manager.Status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_FALSE(status[0].unsaved_changes);
  // Only HNSW spaces have files to save.
  EXPECT_EQ(status[0].saved_at > 0, GetParam() == VectorIndex::Mode::kHnsw);
}

TEST(IndexManager, CallsBeforeOpenAreRejected) {
  CatalogWithVectors catalog;
  IndexManager manager(catalog.ManagerOptions(VectorIndex::Mode::kHnsw));
  EXPECT_THROW(manager.CatchUp(), Error);
  EXPECT_THROW(manager.Start(), Error);
}

}  // namespace
}  // namespace msearch::search
