#include "store/embedding_store.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "catalog_fixture.h"
#include "common/error.h"
#include "store/extraction_store.h"

namespace msearch::store {
namespace {

class EmbeddingStoreTest : public testing::CatalogTest {
 protected:
  EmbeddingStoreTest() : store_(catalog_.database()) {}

  static std::vector<NewEmbedding> Vectors(std::vector<std::vector<float>> vectors) {
    std::vector<NewEmbedding> embeddings;
    for (auto& vector : vectors) embeddings.push_back({std::nullopt, std::move(vector)});
    return embeddings;
  }

  EmbeddingStore store_;
};

TEST_F(EmbeddingStoreTest, StoresUnitVectorsAsLittleEndianFloat32) {
  int64_t file = AddFile("a.jpg");
  std::vector<int64_t> ids =
      store_.ReplaceFileVectors(file, "clip/image", Vectors({{3, 4}, {0, 1}}));
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_LT(ids[0], ids[1]);
  std::optional<EmbeddingRecord> first = store_.ReadVector(ids[0]);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->file_id, file);
  EXPECT_EQ(first->space, "clip/image");
  EXPECT_FALSE(first->segment_id);
  EXPECT_FLOAT_EQ(first->vector[0], 0.6f);
  EXPECT_FLOAT_EQ(first->vector[1], 0.8f);
  EXPECT_GT(first->created_at, 0);

  Statement row =
      catalog_.database().Prepare("SELECT vector, dimension FROM embeddings WHERE id = ?");
  row.Bind(1, ids[1]);
  ASSERT_TRUE(row.Step());
  std::span<const std::byte> blob = row.ColumnBlob(0);
  ASSERT_EQ(blob.size(), 8u);
  // 1.0f is 0x3F800000, stored low byte first.
  const unsigned char expected[8] = {0, 0, 0, 0, 0x00, 0x00, 0x80, 0x3F};
  EXPECT_EQ(std::memcmp(blob.data(), expected, 8), 0);
  EXPECT_EQ(row.ColumnInt(1), 2);
}

TEST_F(EmbeddingStoreTest, UnitVectorsAreStoredUnchanged) {
  int64_t file = AddFile("a.jpg");
  float third = 1.0f / std::sqrt(3.0f);
  std::vector<int64_t> ids = store_.ReplaceFileVectors(file, "s", Vectors({{third, third, third}}));
  EXPECT_EQ(store_.ReadVector(ids[0])->vector, (std::vector<float>{third, third, third}));
}

TEST_F(EmbeddingStoreTest, ReplaceSwapsOnlyThatFileAndSpace) {
  int64_t file = AddFile("a.jpg");
  int64_t other = AddFile("b.jpg");
  std::vector<int64_t> old_ids =
      store_.ReplaceFileVectors(file, "image", Vectors({{1, 0}, {0, 1}}));
  std::vector<int64_t> audio = store_.ReplaceFileVectors(file, "audio", Vectors({{1, 0, 0}}));
  std::vector<int64_t> others = store_.ReplaceFileVectors(other, "image", Vectors({{1, 1}}));
  std::vector<int64_t> new_ids = store_.ReplaceFileVectors(file, "image", Vectors({{0, 1}}));
  EXPECT_FALSE(store_.ReadVector(old_ids[0]));
  EXPECT_FALSE(store_.ReadVector(old_ids[1]));
  EXPECT_TRUE(store_.ReadVector(new_ids[0]));
  EXPECT_TRUE(store_.ReadVector(audio[0]));
  EXPECT_EQ(store_.ListIds("image"), (std::vector<int64_t>{others[0], new_ids[0]}));
  EXPECT_EQ(store_.Count("image"), 2);
  EXPECT_EQ(store_.Count("audio"), 1);

  std::vector<int64_t> none = store_.ReplaceFileVectors(file, "image", {});
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(store_.ListIds("image"), (std::vector<int64_t>{others[0]}));
}

TEST_F(EmbeddingStoreTest, WrongDimensionNamesSpaceAndSizes) {
  int64_t file = AddFile("a.jpg");
  int64_t other = AddFile("b.jpg");
  store_.ReplaceFileVectors(file, "clap/audio", Vectors({{1, 0, 0, 0}}));
  try {
    store_.ReplaceFileVectors(other, "clap/audio", Vectors({{1, 0, 0}}));
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("clap/audio"), std::string::npos) << message;
    EXPECT_NE(message.find("has 3 elements"), std::string::npos) << message;
    EXPECT_NE(message.find("has 4"), std::string::npos) << message;
  }
  EXPECT_THROW(store_.ReplaceFileVectors(other, "clap/audio", Vectors({{1, 0, 0, 0}, {1, 0}})),
               Error);
  EXPECT_EQ(store_.Count("clap/audio"), 1);
  // The file's own vectors do not fix the size of their replacement.
  store_.ReplaceFileVectors(file, "clap/audio", Vectors({{1, 0}}));
  EXPECT_EQ(store_.SpaceDimension("clap/audio"), 2);
}

TEST_F(EmbeddingStoreTest, RejectsInvalidVectorsAndKeepsOldOnes) {
  int64_t file = AddFile("a.jpg");
  std::vector<int64_t> kept = store_.ReplaceFileVectors(file, "s", Vectors({{1, 0}}));
  float nan = std::numeric_limits<float>::quiet_NaN();
  float infinity = std::numeric_limits<float>::infinity();
  EXPECT_THROW(store_.ReplaceFileVectors(file, "s", Vectors({{1, nan}})), Error);
  EXPECT_THROW(store_.ReplaceFileVectors(file, "s", Vectors({{infinity, 0}})), Error);
  EXPECT_THROW(store_.ReplaceFileVectors(file, "s", Vectors({{0, 0}})), Error);
  EXPECT_THROW(store_.ReplaceFileVectors(file, "s", Vectors({{}})), Error);
  EXPECT_THROW(store_.ReplaceFileVectors(file, "", Vectors({{1, 0}})), Error);
  EXPECT_EQ(store_.ListIds("s"), kept);
}

TEST_F(EmbeddingStoreTest, MissingFileOrSegmentFailsForeignKey) {
  EXPECT_THROW(store_.ReplaceFileVectors(99999, "s", Vectors({{1, 0}})), SqliteError);
  int64_t file = AddFile("a.jpg");
  std::vector<NewEmbedding> with_segment = {{12345, {1, 0}}};
  EXPECT_THROW(store_.ReplaceFileVectors(file, "s", with_segment), SqliteError);
  EXPECT_EQ(store_.Count("s"), 0);
}

TEST_F(EmbeddingStoreTest, SegmentVectorsGoWithTheirSegment) {
  int64_t file = AddFile("v.mp4", "video");
  ExtractionStore extraction(catalog_.database());
  SegmentRecord segment;
  segment.end_s = 2;
  std::vector<int64_t> segments = extraction.ReplaceSegments(file, "video", {&segment, 1});
  std::vector<NewEmbedding> vectors = {{segments[0], {1, 0}}, {std::nullopt, {0, 1}}};
  std::vector<int64_t> ids = store_.ReplaceFileVectors(file, "s", vectors);
  EXPECT_EQ(store_.ReadVector(ids[0])->segment_id, segments[0]);
  extraction.ReplaceSegments(file, "video", {});
  EXPECT_EQ(store_.ListIds("s"), (std::vector<int64_t>{ids[1]}));
}

TEST_F(EmbeddingStoreTest, DeletesByFileAndSpace) {
  int64_t file = AddFile("a.jpg");
  store_.ReplaceFileVectors(file, "image", Vectors({{1, 0}, {0, 1}}));
  store_.ReplaceFileVectors(file, "audio", Vectors({{1, 0}}));
  EXPECT_EQ(store_.DeleteFileVectors(file, "image"), 2);
  EXPECT_EQ(store_.Count("image"), 0);
  EXPECT_EQ(store_.Count("audio"), 1);
  store_.ReplaceFileVectors(file, "image", Vectors({{1, 0}}));
  EXPECT_EQ(store_.DeleteFileVectors(file), 2);
  EXPECT_TRUE(store_.ListSpaces().empty());
}

TEST_F(EmbeddingStoreTest, FileRemovalCascadesToVectors) {
  int64_t file = AddFile("a.jpg");
  store_.ReplaceFileVectors(file, "image", Vectors({{1, 0}}));
  std::vector<int64_t> files = {file};
  catalog_.RemoveFiles(files);
  EXPECT_EQ(store_.Count("image"), 0);
}

TEST_F(EmbeddingStoreTest, ReadsSpaceInIdOrderedChunks) {
  std::vector<int64_t> all;
  for (int f = 0; f < 5; ++f) {
    int64_t file = AddFile("f" + std::to_string(f) + ".jpg");
    for (int64_t id : store_.ReplaceFileVectors(file, "s", Vectors({{1, 0}, {0, 1}}))) {
      all.push_back(id);
    }
  }
  int64_t other = AddFile("other.jpg");
  store_.ReplaceFileVectors(other, "t", Vectors({{1, 0, 0}}));

  std::vector<int64_t> read;
  int64_t after = 0;
  size_t chunks = 0;
  while (true) {
    std::vector<EmbeddingRecord> chunk = store_.ReadVectors("s", after, 3);
    if (chunk.empty()) break;
    ++chunks;
    EXPECT_LE(chunk.size(), 3u);
    for (const EmbeddingRecord& record : chunk) {
      EXPECT_EQ(record.space, "s");
      EXPECT_EQ(record.vector.size(), 2u);
      read.push_back(record.id);
    }
    after = chunk.back().id;
  }

  EXPECT_EQ(read, all);
  EXPECT_EQ(chunks, 4u);
  EXPECT_EQ(store_.ListIds("s"), all);
  std::vector<EmbeddingKey> keys = store_.ListKeys("s");
  ASSERT_EQ(keys.size(), all.size());
  EXPECT_EQ(keys[0].id, all[0]);
  EXPECT_GT(keys[0].created_at, 0);
  EXPECT_TRUE(store_.ReadVectors("missing", 0, 10).empty());
}

TEST_F(EmbeddingStoreTest, DamagedRowIsSkippedWhenReadingChunks) {
  int64_t file = AddFile("a.jpg");
  std::vector<int64_t> ids =
      store_.ReplaceFileVectors(file, "s", Vectors({{1, 0}, {0, 1}, {1, 1}}));
  catalog_.database()
      .Prepare("UPDATE embeddings SET vector = x'0000' WHERE id = ?")
      .Bind(1, ids[1])
      .Run();
  size_t skipped = 0;
  std::vector<EmbeddingRecord> records = store_.ReadVectors("s", 0, 10, &skipped);
  EXPECT_EQ(skipped, 1u);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].id, ids[0]);
  EXPECT_EQ(records[1].id, ids[2]);
  EXPECT_THROW(store_.ReadVector(ids[1]), Error);
  EXPECT_EQ(store_.ReadFileVectors(file).size(), 2u);
}

TEST_F(EmbeddingStoreTest, ListsSpacesWithDimensionAndCount) {
  int64_t file = AddFile("a.jpg");
  store_.ReplaceFileVectors(file, "clip/image", Vectors({{1, 0, 0}, {0, 1, 0}}));
  store_.ReplaceFileVectors(file, "clap/audio", Vectors({{1, 0}}));
  std::vector<SpaceInfo> spaces = store_.ListSpaces();
  ASSERT_EQ(spaces.size(), 2u);
  EXPECT_EQ(spaces[0].space, "clap/audio");
  EXPECT_EQ(spaces[0].dimension, 2);
  EXPECT_EQ(spaces[0].count, 1);
  EXPECT_EQ(spaces[1].space, "clip/image");
  EXPECT_EQ(spaces[1].dimension, 3);
  EXPECT_EQ(spaces[1].count, 2);
  EXPECT_FALSE(store_.SpaceDimension("none"));
  EXPECT_EQ(store_.ReadFileVectors(file, "clap/audio").size(), 1u);
  EXPECT_EQ(store_.ReadFileVectors(file).size(), 3u);
}

}  // namespace
}  // namespace msearch::store
