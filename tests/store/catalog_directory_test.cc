#include <gtest/gtest.h>

#include "common/clock.h"
#include "store/catalog_fixture.h"

namespace msearch::store {
namespace {

using testing::CatalogTest;

using CatalogDirectories = CatalogTest;

TEST_F(CatalogDirectories, AddAndFind) {
  double before = NowSeconds();
  DirectoryRecord added = catalog_.AddDirectory("/photos/2024", false, true);
  EXPECT_GT(added.id, 0);
  EXPECT_EQ(added.path, "/photos/2024");
  EXPECT_FALSE(added.recursive);
  EXPECT_TRUE(added.from_config);
  EXPECT_EQ(added.state, "initializing");
  EXPECT_FALSE(added.error.has_value());
  EXPECT_GE(added.added_at, before - 1);
  EXPECT_LE(added.added_at, NowSeconds() + 1);
  EXPECT_FALSE(added.last_scan_at.has_value());

  std::optional<DirectoryRecord> by_id = catalog_.FindDirectory(added.id);
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->path, "/photos/2024");
  std::optional<DirectoryRecord> by_path = catalog_.FindDirectoryByPath("/photos/2024");
  ASSERT_TRUE(by_path.has_value());
  EXPECT_EQ(by_path->id, added.id);
  EXPECT_FALSE(catalog_.FindDirectory(added.id + 100).has_value());
  EXPECT_FALSE(catalog_.FindDirectoryByPath("/photos").has_value());
}

TEST_F(CatalogDirectories, ListOrderedByPath) {
  catalog_.AddDirectory("/zeta", true, false);
  catalog_.AddDirectory("/alpha", true, false);
  std::vector<DirectoryRecord> directories = catalog_.ListDirectories();
  ASSERT_EQ(directories.size(), 3u);
  EXPECT_EQ(directories[0].path, "/alpha");
  EXPECT_EQ(directories[1].path, root_.string());
  EXPECT_EQ(directories[2].path, "/zeta");
}

TEST_F(CatalogDirectories, AddExistingReturnsSameEntry) {
  DirectoryRecord again = catalog_.AddDirectory(root_, false, false);
  EXPECT_EQ(again.id, directory_.id);
  EXPECT_FALSE(again.recursive);
  EXPECT_EQ(catalog_.ListDirectories().size(), 1u);
}

TEST_F(CatalogDirectories, StateAndScanTime) {
  catalog_.SetDirectoryState(directory_.id, "error", "permission denied");
  DirectoryRecord failed = *catalog_.FindDirectory(directory_.id);
  EXPECT_EQ(failed.state, "error");
  EXPECT_EQ(failed.error, "permission denied");

  catalog_.SetDirectoryState(directory_.id, "monitoring", std::nullopt);
  catalog_.MarkDirectoryScanned(directory_.id);
  DirectoryRecord monitoring = *catalog_.FindDirectory(directory_.id);
  EXPECT_EQ(monitoring.state, "monitoring");
  EXPECT_FALSE(monitoring.error.has_value());
  ASSERT_TRUE(monitoring.last_scan_at.has_value());
  EXPECT_GE(*monitoring.last_scan_at, directory_.added_at);
}

TEST_F(CatalogDirectories, InvalidStateRejected) {
  EXPECT_THROW(catalog_.SetDirectoryState(directory_.id, "sleeping", std::nullopt), SqliteError);
  EXPECT_EQ(catalog_.FindDirectory(directory_.id)->state, "initializing");
}

TEST_F(CatalogDirectories, RemoveCascadesToFiles) {
  DirectoryRecord other = catalog_.AddDirectory(dir_ / "other", true, false);
  int64_t first = AddFile("a.jpg");
  AddFile("sub/b.mp4", "video");
  MediaInfo info;
  info.tags = {{"title", "harbour"}};
  ASSERT_TRUE(catalog_.StoreProbeResult(first, 100, 1'000'000'000, info, "s1:hash"));
  FileObservation other_file = Observe(dir_ / "other" / "c.jpg");
  other_file.directory_id = other.id;
  catalog_.UpsertFile(other_file);
  ASSERT_EQ(FtsRowCount(), 3);

  EXPECT_TRUE(catalog_.RemoveDirectory(directory_.id));
  EXPECT_FALSE(catalog_.FindDirectory(directory_.id).has_value());
  EXPECT_FALSE(catalog_.FindFile(first).has_value());
  EXPECT_FALSE(catalog_.GetMediaInfo(first).has_value());
  EXPECT_EQ(catalog_.CountFiles({}), 1);
  EXPECT_EQ(FtsRowCount(), 1);
  EXPECT_TRUE(catalog_.SearchText("harbour", 10).empty());
  EXPECT_EQ(catalog_.SearchText("c.jpg", 10).size(), 1u);

  EXPECT_FALSE(catalog_.RemoveDirectory(directory_.id));
}

}  // namespace
}  // namespace msearch::store
