// Persistence of IndexManager: what a later Open finds after a clean stop,
// damaged files, changes made while closed, and a process killed mid-save.

#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "search/index_files.h"
#include "search/index_manager.h"
#include "search_test_util.h"

namespace msearch::search {
namespace {

using testing::CatalogWithVectors;
using testing::HitIds;
using testing::RandomUnitVectors;

constexpr size_t kDimension = 16;
constexpr char kSpace[] = "clip/image";

class IndexRecoveryTest : public ::testing::Test {
 protected:
  IndexRecoveryTest() {
    for (int f = 0; f < 4; ++f) {
      int64_t file_id = catalog_.AddFile("f" + std::to_string(f) + ".jpg");
      file_ids_.push_back(file_id);
      catalog_.StoreVectors(file_id, kSpace, RandomUnitVectors(50, kDimension, 10 + f), kDimension);
    }
    // HNSW at every size, so that every space has files on disk.
    options_ = catalog_.ManagerOptions(VectorIndex::Mode::kHnsw);
  }

  // Opens a manager, lets it save, and closes it.
  void SaveOnce() {
    IndexManager manager(options_);
    manager.Open();
    manager.Stop();
  }

  std::filesystem::path ManifestPath() const {
    return catalog_.index_dir() / (SpaceFileStem(kSpace) + ".json");
  }

  IndexManifest Manifest() const {
    return ParseManifest(ReadWholeFile(ManifestPath()), ManifestPath());
  }

  // Checks that the index contains exactly the catalog's ids and finds each
  // probe vector first.
  void ExpectMatchesCatalog(IndexManager& manager) {
    std::vector<int64_t> catalog_ids = catalog_.embeddings().ListIds(kSpace);
    std::shared_ptr<VectorIndex> index = manager.FindIndex(kSpace);
    ASSERT_NE(index, nullptr);
    EXPECT_EQ(index->Ids(), catalog_ids);
    for (size_t i = 0; i < catalog_ids.size(); i += 17) {
      std::vector<SearchHit> hits = manager.Search(kSpace, catalog_.VectorOf(catalog_ids[i]), 1);
      ASSERT_EQ(hits.size(), 1u);
      EXPECT_EQ(hits[0].id, catalog_ids[i]);
    }
  }

  bool UnsavedChanges(IndexManager& manager) { return manager.Status().at(0).unsaved_changes; }

  CatalogWithVectors catalog_;
  std::vector<int64_t> file_ids_;
  IndexManagerOptions options_;
};

TEST_F(IndexRecoveryTest, SavedIndexIsLoadedNotRebuilt) {
  SaveOnce();
  IndexManifest manifest = Manifest();
  EXPECT_EQ(manifest.space, kSpace);
  EXPECT_EQ(manifest.count, 200u);
  EXPECT_EQ(manifest.generation, 1u);
  EXPECT_EQ(manifest.catalog_max_id, catalog_.embeddings().ListIds(kSpace).back());
  EXPECT_TRUE(std::filesystem::exists(catalog_.index_dir() / manifest.graph_file));

  IndexManager manager(options_);
  manager.Open();
  // A loaded index that matches the catalog has nothing new to save.
  EXPECT_FALSE(UnsavedChanges(manager));
  ExpectMatchesCatalog(manager);
}

TEST_F(IndexRecoveryTest, SavedGraphKeptOrScannedBySize) {
  SaveOnce();
  // 200 vectors with HNSW above 300: a graph of a space that shrank is
  // kept down to half that limit.
  options_.index.quantized_threshold = 300;
  {
    IndexManager manager(options_);
    manager.Open();
    EXPECT_EQ(manager.FindIndex(kSpace)->mode(), VectorIndex::Mode::kHnsw);
    EXPECT_FALSE(UnsavedChanges(manager));
    ExpectMatchesCatalog(manager);
  }
  // Below half the limit, the space is scanned instead, and the catalog's
  // count decides, not the count saved with the graph.
  options_.index.quantized_threshold = 600;
  int64_t added_file = catalog_.AddFile("new.jpg");
  catalog_.StoreVectors(added_file, kSpace, RandomUnitVectors(60, kDimension, 97), kDimension);
  IndexManager manager(options_);
  manager.Open();
  EXPECT_EQ(manager.FindIndex(kSpace)->mode(), VectorIndex::Mode::kQuantized);
  ExpectMatchesCatalog(manager);
  EXPECT_FALSE(std::filesystem::exists(ManifestPath()));
}

TEST_F(IndexRecoveryTest, GrownSpaceKeepsItsSavedGraph) {
  SaveOnce();
  // Saved with 200 vectors, but the catalog now contains 260, above the
  // limit of 250, so the graph is loaded and caught up rather than rebuilt.
  options_.index.quantized_threshold = 250;
  int64_t added_file = catalog_.AddFile("new.jpg");
  catalog_.StoreVectors(added_file, kSpace, RandomUnitVectors(60, kDimension, 96), kDimension);
  IndexManager manager(options_);
  manager.Open();
  EXPECT_EQ(manager.FindIndex(kSpace)->mode(), VectorIndex::Mode::kHnsw);
  EXPECT_EQ(manager.Status().at(0).saved_at, Manifest().saved_at);
  ExpectMatchesCatalog(manager);
}

TEST_F(IndexRecoveryTest, TruncatedGraphIsRebuilt) {
  SaveOnce();
  std::filesystem::path graph = catalog_.index_dir() / Manifest().graph_file;
  std::filesystem::resize_file(graph, std::filesystem::file_size(graph) / 2);
  IndexManager manager(options_);
  manager.Open();
  EXPECT_TRUE(UnsavedChanges(manager));
  ExpectMatchesCatalog(manager);
  EXPECT_FALSE(std::filesystem::exists(graph)) << "the damaged file is deleted";
  manager.Stop();
  EXPECT_EQ(Manifest().count, 200u);
}

TEST_F(IndexRecoveryTest, GarbageGraphOfSameSizeIsRebuilt) {
  SaveOnce();
  std::filesystem::path graph = catalog_.index_dir() / Manifest().graph_file;
  size_t size = std::filesystem::file_size(graph);
  std::ofstream(graph, std::ios::binary | std::ios::trunc) << std::string(size, '\x01');
  IndexManager manager(options_);
  manager.Open();
  EXPECT_TRUE(UnsavedChanges(manager));
  ExpectMatchesCatalog(manager);
}

TEST_F(IndexRecoveryTest, DamagedManifestOrKeysAreRebuilt) {
  SaveOnce();
  std::filesystem::path keys = catalog_.index_dir() / Manifest().keys_file;
  std::ofstream(keys, std::ios::binary | std::ios::app) << "extra";
  {
    IndexManager manager(options_);
    manager.Open();
    EXPECT_TRUE(UnsavedChanges(manager));
    ExpectMatchesCatalog(manager);
  }
  std::ofstream(ManifestPath(), std::ios::trunc) << "{\"format\": ";
  IndexManager manager(options_);
  manager.Open();
  EXPECT_TRUE(UnsavedChanges(manager));
  ExpectMatchesCatalog(manager);
}

TEST_F(IndexRecoveryTest, OtherParametersCauseRebuild) {
  SaveOnce();
  options_.index.hnsw.m = 12;
  IndexManager manager(options_);
  manager.Open();
  EXPECT_TRUE(UnsavedChanges(manager));
  ExpectMatchesCatalog(manager);
}

TEST_F(IndexRecoveryTest, ChangesWhileClosedAreCaughtUp) {
  SaveOnce();
  std::vector<int64_t> deleted = catalog_.embeddings().ListIds(kSpace);
  deleted.resize(50);  // the vectors of the first file
  catalog_.DeleteFile(file_ids_[0]);
  catalog_.StoreVectors(file_ids_[1], kSpace, RandomUnitVectors(5, kDimension, 99), kDimension);
  int64_t added_file = catalog_.AddFile("new.jpg");
  catalog_.StoreVectors(added_file, kSpace, RandomUnitVectors(7, kDimension, 98), kDimension);

  IndexManager manager(options_);
  manager.Open();
  ExpectMatchesCatalog(manager);
  EXPECT_EQ(manager.FindIndex(kSpace)->size(), 150u - 50u + 5u + 7u);
  for (int64_t id : deleted) {
    std::vector<SearchHit> hits = manager.Search(kSpace, RandomUnitVectors(1, kDimension, id), 200);
    for (const SearchHit& hit : hits) ASSERT_NE(hit.id, id);
  }
}

// SQLite gives a new row the highest id plus one, so deleting the rows
// with the highest ids and inserting new ones reuses those ids.
TEST_F(IndexRecoveryTest, ReusedIdsGetTheirNewVectors) {
  SaveOnce();
  std::vector<int64_t> before = catalog_.embeddings().ListIds(kSpace);
  catalog_.DeleteFile(file_ids_[3]);
  int64_t file_id = catalog_.AddFile("reuse.jpg");
  std::vector<int64_t> reused =
      catalog_.StoreVectors(file_id, kSpace, RandomUnitVectors(3, kDimension, 77), kDimension);
  ASSERT_EQ(reused.front(), before[150]) << "SQLite did not reuse the row id";

  IndexManager manager(options_);
  manager.Open();
  ExpectMatchesCatalog(manager);
  for (int64_t id : reused) {
    std::vector<SearchHit> hits = manager.Search(kSpace, catalog_.VectorOf(id), 1);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].id, id);
    EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
  }
}

TEST_F(IndexRecoveryTest, LeftoversOfInterruptedSaveAreIgnoredAndDeleted) {
  SaveOnce();
  IndexManifest manifest = Manifest();
  std::filesystem::path stem = catalog_.index_dir() / SpaceFileStem(kSpace);
  // A save killed after writing the next generation's files but before the
  // manifest switched to them.
  std::ofstream(stem.string() + ".2.hnsw") << "partial";
  std::ofstream(stem.string() + ".2.keys.tmp") << "partial";
  std::ofstream(stem.string() + ".json.tmp") << "{";
  IndexManager manager(options_);
  manager.Open();
  EXPECT_FALSE(UnsavedChanges(manager));
  ExpectMatchesCatalog(manager);
  EXPECT_FALSE(std::filesystem::exists(stem.string() + ".2.hnsw"));
  EXPECT_FALSE(std::filesystem::exists(stem.string() + ".2.keys.tmp"));
  EXPECT_FALSE(std::filesystem::exists(stem.string() + ".json.tmp"));
  EXPECT_TRUE(std::filesystem::exists(catalog_.index_dir() / manifest.graph_file));
}

// A child process saves new generations in a loop and is killed with
// SIGKILL; the next Open must find a usable index whatever the moment.
TEST_F(IndexRecoveryTest, KilledWhileSavingLeavesUsableIndex) {
  SaveOnce();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child opens its own connections: an SQLite connection must not
    // be used across fork.
    try {
      store::Catalog catalog(catalog_.catalog_path());
      store::EmbeddingStore embeddings(catalog.database());
      int64_t directory_id = catalog.ListDirectories().at(0).id;
      IndexManager manager(options_);
      manager.Open();
      for (uint64_t round = 0;; ++round) {
        store::FileObservation observation;
        observation.directory_id = directory_id;
        observation.path = "/child/" + std::to_string(round) + ".jpg";
        observation.kind = "image";
        observation.inode = 100000 + round;
        int64_t file_id = catalog.UpsertFile(observation).file_id;
        std::vector<float> vectors = RandomUnitVectors(20, kDimension, 1000 + round);
        std::vector<store::NewEmbedding> batch(20);
        for (size_t i = 0; i < 20; ++i) {
          batch[i].vector.assign(
              vectors.begin() + static_cast<std::ptrdiff_t>(i * kDimension),
              vectors.begin() + static_cast<std::ptrdiff_t>((i + 1) * kDimension));
        }
        embeddings.ReplaceFileVectors(file_id, kSpace, batch);
        manager.RefreshFile(file_id);
        manager.SaveAll();
      }
    } catch (...) {
      _exit(3);
    }
  }
  // Let a few generations pass, then kill it in the middle of whatever it
  // is doing.
  double deadline = MonotonicSeconds() + 60;
  while (MonotonicSeconds() < deadline) {
    std::error_code error;
    if (std::filesystem::exists(ManifestPath(), error)) {
      try {
        if (Manifest().generation >= 4) break;
      } catch (const Error&) {
        // The manifest is replaced by rename, so this should not happen;
        // the assertions after the kill decide.
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child exited by itself with " << WEXITSTATUS(status);
  EXPECT_GE(Manifest().generation, 4u);

  IndexManager manager(options_);
  manager.Open();
  ExpectMatchesCatalog(manager);
}

}  // namespace
}  // namespace msearch::search
