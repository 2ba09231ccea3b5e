#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "search/vector_index.h"
#include "search_test_util.h"
#include "support/temp_dir.h"

namespace msearch::search {
namespace {

using testing::HitIds;
using testing::RandomUnitVectors;

constexpr size_t kDimension = 16;
constexpr size_t kCount = 800;

VectorIndexOptions ForcedHnsw() {
  VectorIndexOptions options;
  options.exact_threshold = 0;
  options.quantized_threshold = 0;
  options.hnsw.m = 8;
  options.hnsw.ef_construction = 50;
  options.hnsw.ef_search = 50;
  return options;
}

class VectorIndexFile : public ::testing::Test {
 protected:
  VectorIndexFile() : index_("space", kDimension, ForcedHnsw()), path_(dir_ / "graph.hnsw") {
    std::vector<int64_t> ids;
    for (int64_t id = 1; id <= static_cast<int64_t>(kCount); ++id) ids.push_back(id * 10);
    index_.Add(ids, RandomUnitVectors(kCount, kDimension, 1));
    std::vector<int64_t> removed = {10, 20, 30};
    index_.Remove(removed);
    index_.Save(path_);
  }

  void Overwrite(std::streamoff offset, const std::string& bytes) {
    std::fstream file(path_, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(offset);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  msearch::testing::TempDir dir_;
  VectorIndex index_;
  std::filesystem::path path_;
};

TEST_F(VectorIndexFile, RoundTripKeepsIdsAndResults) {
  std::unique_ptr<VectorIndex> loaded = VectorIndex::Load("space", kDimension, ForcedHnsw(), path_);
  EXPECT_EQ(loaded->Ids(), index_.Ids());
  EXPECT_EQ(loaded->stats().deleted, 3u);
  EXPECT_FALSE(loaded->Contains(10));
  std::vector<float> queries = RandomUnitVectors(10, kDimension, 2);
  for (size_t q = 0; q < 10; ++q) {
    std::span<const float> query(queries.data() + q * kDimension, kDimension);
    EXPECT_EQ(HitIds(loaded->Search(query, 10)), HitIds(index_.Search(query, 10)));
  }
  // The loaded graph takes new vectors beyond its stored count.
  std::vector<float> extra = RandomUnitVectors(1, kDimension, 3);
  loaded->Add(99999, extra);
  EXPECT_EQ(loaded->Search(extra, 1).at(0).id, 99999);
}

TEST_F(VectorIndexFile, TruncatedFileIsRejected) {
  std::filesystem::resize_file(path_, std::filesystem::file_size(path_) - 100);
  EXPECT_THROW(VectorIndex::Load("space", kDimension, ForcedHnsw(), path_), Error);
  std::filesystem::resize_file(path_, 50);
  EXPECT_THROW(VectorIndex::Load("space", kDimension, ForcedHnsw(), path_), Error);
}

TEST_F(VectorIndexFile, GarbageFileIsRejected) {
  std::string garbage(std::filesystem::file_size(path_), '\x5a');
  Overwrite(0, garbage);
  EXPECT_THROW(VectorIndex::Load("space", kDimension, ForcedHnsw(), path_), Error);
}

TEST_F(VectorIndexFile, OutOfRangeNeighbourIsRejected) {
  // The first neighbour id of element 0 follows the 96-byte header and the
  // 4-byte link count.
  Overwrite(96 + 4, std::string(4, '\xff'));
  EXPECT_THROW(VectorIndex::Load("space", kDimension, ForcedHnsw(), path_), Error);
}

TEST_F(VectorIndexFile, OtherDimensionOrParametersAreRejected) {
  EXPECT_THROW(VectorIndex::Load("space", kDimension * 2, ForcedHnsw(), path_), Error);
  VectorIndexOptions other_m = ForcedHnsw();
  other_m.hnsw.m = 12;
  EXPECT_THROW(VectorIndex::Load("space", kDimension, other_m, path_), Error);
}

TEST_F(VectorIndexFile, MissingFileIsRejected) {
  EXPECT_THROW(VectorIndex::Load("space", kDimension, ForcedHnsw(), dir_ / "absent.hnsw"), Error);
}

TEST(VectorIndexSave, ExactModeHasNoFile) {
  msearch::testing::TempDir dir;
  VectorIndexOptions options;
  options.exact_threshold = 100;
  VectorIndex index("space", 4, options);
  EXPECT_THROW(index.Save(dir / "graph.hnsw"), Error);
}

}  // namespace
}  // namespace msearch::search
