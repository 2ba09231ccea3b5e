#include <gtest/gtest.h>

#include "store/catalog_fixture.h"

namespace msearch::store {
namespace {

using testing::CatalogTest;

class CatalogProbe : public CatalogTest {
 protected:
  CatalogProbe() {
    observation_ = Observe("clip.mp4", 5000, 42, 0, "video");
    id_ = catalog_.UpsertFile(observation_).file_id;
    info_.kind = "video";
    info_.format = "mov,mp4,m4a,3gp,3g2,mj2";
    info_.width = 1280;
    info_.height = 720;
    info_.duration = 9.5;
    info_.rotation = 90;
    info_.has_video = true;
    info_.has_audio = true;
    info_.tags = {{"title", "Harbour Lights"}};
  }

  FileObservation observation_;
  int64_t id_ = 0;
  MediaInfo info_;
};

TEST_F(CatalogProbe, StoresMetadataAndMarksIndexed) {
  ASSERT_TRUE(catalog_.StoreProbeResult(id_, 5000, 42, info_, "s1:abc"));
  FileRecord file = *catalog_.FindFile(id_);
  EXPECT_EQ(file.status, "indexed");
  EXPECT_EQ(file.content_hash, "s1:abc");
  ASSERT_TRUE(file.indexed_at.has_value());
  EXPECT_GE(*file.indexed_at, file.created_at);
  EXPECT_FALSE(file.error.has_value());

  std::optional<MediaInfo> stored = catalog_.GetMediaInfo(id_);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->ToJson(), info_.ToJson());

  Statement row = catalog_.database().Prepare(
      "SELECT format, width, height, duration, rotation, has_video, has_audio "
      "FROM media_metadata WHERE file_id = ?");
  row.Bind(1, id_);
  ASSERT_TRUE(row.Step());
  EXPECT_EQ(row.ColumnText(0), "mov,mp4,m4a,3gp,3g2,mj2");
  EXPECT_EQ(row.ColumnInt(1), 1280);
  EXPECT_EQ(row.ColumnInt(2), 720);
  EXPECT_DOUBLE_EQ(row.ColumnDouble(3), 9.5);
  EXPECT_EQ(row.ColumnInt(4), 90);
  EXPECT_EQ(row.ColumnInt(5), 1);
  EXPECT_EQ(row.ColumnInt(6), 1);
}

TEST_F(CatalogProbe, ReprobeReplacesMetadata) {
  ASSERT_TRUE(catalog_.StoreProbeResult(id_, 5000, 42, info_, "s1:abc"));
  info_.width = 640;
  info_.tags = {{"title", "Lighthouse"}};
  ASSERT_TRUE(catalog_.StoreProbeResult(id_, 5000, 42, info_, std::nullopt));
  EXPECT_EQ(catalog_.GetMediaInfo(id_)->width, 640);
  EXPECT_FALSE(catalog_.FindFile(id_)->content_hash.has_value());
  EXPECT_TRUE(catalog_.SearchText("harbour", 10).empty());
  EXPECT_EQ(catalog_.SearchText("lighthouse", 10).size(), 1u);
}

TEST_F(CatalogProbe, StaleSizeRejected) {
  EXPECT_FALSE(catalog_.StoreProbeResult(id_, 4999, 42, info_, "s1:abc"));
  FileRecord file = *catalog_.FindFile(id_);
  EXPECT_EQ(file.status, "pending");
  EXPECT_FALSE(file.content_hash.has_value());
  EXPECT_FALSE(file.indexed_at.has_value());
  EXPECT_FALSE(catalog_.GetMediaInfo(id_).has_value());
  EXPECT_TRUE(catalog_.SearchText("harbour", 10).empty());
}

TEST_F(CatalogProbe, StaleMtimeRejected) {
  EXPECT_FALSE(catalog_.StoreProbeResult(id_, 5000, 43, info_, "s1:abc"));
  EXPECT_EQ(catalog_.FindFile(id_)->status, "pending");
  EXPECT_FALSE(catalog_.GetMediaInfo(id_).has_value());
}

TEST_F(CatalogProbe, FileChangedAfterProbeStarted) {
  // The file was probed at (5000, 42) but the scanner saw a newer version
  // before the result arrived.
  observation_.mtime_ns = 99;
  ASSERT_EQ(catalog_.UpsertFile(observation_).change, FileChange::kModified);
  EXPECT_FALSE(catalog_.StoreProbeResult(id_, 5000, 42, info_, "s1:abc"));
  EXPECT_EQ(catalog_.FindFile(id_)->status, "pending");
  EXPECT_TRUE(catalog_.StoreProbeResult(id_, 5000, 99, info_, "s1:abc"));
}

TEST_F(CatalogProbe, RemovedFileRejected) {
  catalog_.RemovePath(observation_.path);
  EXPECT_FALSE(catalog_.StoreProbeResult(id_, 5000, 42, info_, "s1:abc"));
  EXPECT_FALSE(catalog_.GetMediaInfo(id_).has_value());
}

TEST_F(CatalogProbe, StoreFileErrorMarksFailed) {
  ASSERT_TRUE(catalog_.StoreFileError(id_, 5000, 42, "moov atom not found"));
  FileRecord file = *catalog_.FindFile(id_);
  EXPECT_EQ(file.status, "failed");
  EXPECT_EQ(file.error, "moov atom not found");
  EXPECT_EQ(catalog_.Counts().failed, 1);

  // A later successful probe clears the error.
  ASSERT_TRUE(catalog_.StoreProbeResult(id_, 5000, 42, info_, std::nullopt));
  file = *catalog_.FindFile(id_);
  EXPECT_EQ(file.status, "indexed");
  EXPECT_FALSE(file.error.has_value());
}

TEST_F(CatalogProbe, StaleErrorRejected) {
  EXPECT_FALSE(catalog_.StoreFileError(id_, 1, 42, "truncated"));
  EXPECT_FALSE(catalog_.StoreFileError(id_ + 100, 5000, 42, "truncated"));
  FileRecord file = *catalog_.FindFile(id_);
  EXPECT_EQ(file.status, "pending");
  EXPECT_FALSE(file.error.has_value());
}

TEST_F(CatalogProbe, StatusAndThumbnail) {
  catalog_.SetFileStatus(id_, "processing", std::nullopt);
  EXPECT_EQ(catalog_.FindFile(id_)->status, "processing");
  EXPECT_THROW(catalog_.SetFileStatus(id_, "done", std::nullopt), SqliteError);

  catalog_.SetThumbnail(id_, "/data/thumbnails/ab/abcd.jpg");
  EXPECT_EQ(catalog_.FindFile(id_)->thumbnail_path, "/data/thumbnails/ab/abcd.jpg");
  catalog_.SetThumbnail(id_, std::nullopt);
  EXPECT_FALSE(catalog_.FindFile(id_)->thumbnail_path.has_value());
}

}  // namespace
}  // namespace msearch::store
