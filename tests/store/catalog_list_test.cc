#include <gtest/gtest.h>

#include "store/catalog_fixture.h"

namespace msearch::store {
namespace {

using testing::CatalogTest;

class CatalogListing : public CatalogTest {
 protected:
  CatalogListing() {
    other_ = catalog_.AddDirectory(dir_ / "other", true, false);
    // Ten images, four videos and two audio files in root_, and three images in
    // the other directory.
    for (int i = 0; i < 10; ++i) images_.push_back(AddFile("img" + std::to_string(i) + ".jpg"));
    for (int i = 0; i < 4; ++i) AddFile("vid" + std::to_string(i) + ".mp4", "video");
    for (int i = 0; i < 2; ++i) AddFile("song" + std::to_string(i) + ".mp3", "audio");
    for (int i = 0; i < 3; ++i) {
      FileObservation observation = Observe(dir_ / "other" / ("x" + std::to_string(i) + ".png"));
      observation.directory_id = other_.id;
      catalog_.UpsertFile(observation);
    }
    // Three images indexed, one failed, one processing.
    MediaInfo info;
    for (int i = 0; i < 3; ++i) {
      catalog_.StoreProbeResult(images_[i], 100, 1'000'000'000, info, std::nullopt);
    }
    catalog_.StoreFileError(images_[3], 100, 1'000'000'000, "bad");
    catalog_.SetFileStatus(images_[4], "processing", std::nullopt);
  }

  DirectoryRecord other_;
  std::vector<int64_t> images_;
};

TEST_F(CatalogListing, Counts) {
  CatalogCounts counts = catalog_.Counts();
  EXPECT_EQ(counts.total, 19);
  EXPECT_EQ(counts.indexed, 3);
  EXPECT_EQ(counts.failed, 1);
  EXPECT_EQ(counts.processing, 1);
  EXPECT_EQ(counts.pending, 14);
  EXPECT_EQ(counts.by_kind.at("image"), 13);
  EXPECT_EQ(counts.by_kind.at("video"), 4);
  EXPECT_EQ(counts.by_kind.at("audio"), 2);
}

TEST_F(CatalogListing, CountsPerDirectory) {
  CatalogCounts counts = catalog_.Counts(other_.id);
  EXPECT_EQ(counts.total, 3);
  EXPECT_EQ(counts.pending, 3);
  EXPECT_EQ(counts.indexed, 0);
  EXPECT_EQ(counts.by_kind.size(), 1u);
  EXPECT_EQ(counts.by_kind.at("image"), 3);
  EXPECT_EQ(catalog_.Counts(other_.id + 100).total, 0);
}

TEST_F(CatalogListing, FiltersCount) {
  EXPECT_EQ(catalog_.CountFiles({}), 19);
  FileFilter videos;
  videos.kind = "video";
  EXPECT_EQ(catalog_.CountFiles(videos), 4);
  FileFilter failed;
  failed.status = "failed";
  EXPECT_EQ(catalog_.CountFiles(failed), 1);
  FileFilter indexed;
  indexed.indexed_only = true;
  EXPECT_EQ(catalog_.CountFiles(indexed), 3);
  FileFilter other;
  other.directory_id = other_.id;
  EXPECT_EQ(catalog_.CountFiles(other), 3);
  FileFilter combined;
  combined.kind = "image";
  combined.status = "pending";
  combined.directory_id = directory_.id;
  EXPECT_EQ(catalog_.CountFiles(combined), 5);
  FileFilter none;
  none.kind = "audio";
  none.indexed_only = true;
  EXPECT_EQ(catalog_.CountFiles(none), 0);
}

TEST_F(CatalogListing, ListFiltersAndOrders) {
  FileFilter filter;
  filter.kind = "video";
  std::vector<FileRecord> files = catalog_.ListFiles(filter);
  ASSERT_EQ(files.size(), 4u);
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(files[i].name, "vid" + std::to_string(i) + ".mp4");
    EXPECT_EQ(files[i].kind, "video");
  }
  FileFilter indexed;
  indexed.indexed_only = true;
  std::vector<FileRecord> indexed_files = catalog_.ListFiles(indexed);
  ASSERT_EQ(indexed_files.size(), 3u);
  for (const FileRecord& file : indexed_files) EXPECT_EQ(file.status, "indexed");
}

TEST_F(CatalogListing, Pagination) {
  FileFilter filter;
  filter.directory_id = directory_.id;
  filter.limit = 5;
  std::vector<std::string> seen;
  for (filter.offset = 0; filter.offset < 20; filter.offset += 5) {
    std::vector<FileRecord> page = catalog_.ListFiles(filter);
    EXPECT_LE(page.size(), 5u);
    for (const FileRecord& file : page) seen.push_back(file.path);
  }
  ASSERT_EQ(seen.size(), 16u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());

  filter.offset = 15;
  EXPECT_EQ(catalog_.ListFiles(filter).size(), 1u);
  filter.offset = 16;
  EXPECT_TRUE(catalog_.ListFiles(filter).empty());
  filter.offset = 0;
  filter.limit = 0;
  EXPECT_TRUE(catalog_.ListFiles(filter).empty());
}

}  // namespace
}  // namespace msearch::store
