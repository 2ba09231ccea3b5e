#include <set>

#include <gtest/gtest.h>
#include <unistd.h>

#include "store/catalog_fixture.h"

namespace msearch::store {
namespace {

using testing::CatalogTest;

using CatalogUpsert = CatalogTest;

TEST_F(CatalogUpsert, AddsNewEntry) {
  UpsertOutcome outcome = catalog_.UpsertFile(Observe("trip/Beach.JPG", 2048, 5, 77));
  EXPECT_EQ(outcome.change, FileChange::kAdded);
  EXPECT_GT(outcome.file_id, 0);
  EXPECT_EQ(outcome.uuid.size(), 36u);

  std::optional<FileRecord> file = catalog_.FindFile(outcome.file_id);
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->uuid, outcome.uuid);
  EXPECT_EQ(file->directory_id, directory_.id);
  EXPECT_EQ(file->path, (root_ / "trip" / "Beach.JPG").string());
  EXPECT_EQ(file->name, "Beach.JPG");
  EXPECT_EQ(file->extension, ".jpg");
  EXPECT_EQ(file->kind, "image");
  EXPECT_EQ(file->size, 2048u);
  EXPECT_EQ(file->mtime_ns, 5);
  EXPECT_EQ(file->inode, 77u);
  EXPECT_EQ(file->device, 1u);
  EXPECT_EQ(file->status, "pending");
  EXPECT_FALSE(file->content_hash.has_value());
  EXPECT_FALSE(file->indexed_at.has_value());
  EXPECT_GT(file->created_at, 0);

  EXPECT_EQ(catalog_.FindFileByUuid(outcome.uuid)->id, outcome.file_id);
  EXPECT_EQ(catalog_.FindFileByPath(root_ / "trip" / "Beach.JPG")->id, outcome.file_id);
  EXPECT_FALSE(catalog_.FindFileByPath(root_ / "trip" / "beach.jpg").has_value());
  EXPECT_FALSE(catalog_.FindFileByUuid("no-such-uuid").has_value());
}

TEST_F(CatalogUpsert, SameObservationUnchanged) {
  FileObservation observation = Observe("a.jpg");
  UpsertOutcome first = catalog_.UpsertFile(observation);
  UpsertOutcome second = catalog_.UpsertFile(observation);
  EXPECT_EQ(second.change, FileChange::kUnchanged);
  EXPECT_EQ(second.file_id, first.file_id);
  EXPECT_EQ(second.uuid, first.uuid);
  EXPECT_EQ(catalog_.CountFiles({}), 1);
}

TEST_F(CatalogUpsert, EachIdentityFieldDetectsChange) {
  struct Case {
    const char* name;
    void (*change)(FileObservation*);
  };
  const Case cases[] = {
      {"size", [](FileObservation* o) { o->size += 1; }},
      {"mtime", [](FileObservation* o) { o->mtime_ns += 1; }},
      {"inode", [](FileObservation* o) { o->inode += 1; }},
      {"device", [](FileObservation* o) { o->device += 1; }},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    FileObservation observation = Observe(std::string(test_case.name) + ".jpg");
    UpsertOutcome added = catalog_.UpsertFile(observation);
    MediaInfo info;
    ASSERT_TRUE(catalog_.StoreProbeResult(added.file_id, observation.size, observation.mtime_ns,
                                          info, "s1:old"));

    test_case.change(&observation);
    UpsertOutcome modified = catalog_.UpsertFile(observation);
    EXPECT_EQ(modified.change, FileChange::kModified);
    EXPECT_EQ(modified.file_id, added.file_id);
    EXPECT_EQ(modified.uuid, added.uuid);

    FileRecord file = *catalog_.FindFile(added.file_id);
    EXPECT_EQ(file.size, observation.size);
    EXPECT_EQ(file.mtime_ns, observation.mtime_ns);
    EXPECT_EQ(file.inode, observation.inode);
    EXPECT_EQ(file.device, observation.device);
    // The file must be processed again.
    EXPECT_EQ(file.status, "pending");
    EXPECT_FALSE(file.content_hash.has_value());

    EXPECT_EQ(catalog_.UpsertFile(observation).change, FileChange::kUnchanged);
  }
}

TEST_F(CatalogUpsert, ModifiedClearsError) {
  FileObservation observation = Observe("broken.jpg");
  UpsertOutcome added = catalog_.UpsertFile(observation);
  ASSERT_TRUE(catalog_.StoreFileError(added.file_id, observation.size, observation.mtime_ns,
                                      "truncated JPEG"));
  observation.size = 5000;
  catalog_.UpsertFile(observation);
  FileRecord file = *catalog_.FindFile(added.file_id);
  EXPECT_EQ(file.status, "pending");
  EXPECT_FALSE(file.error.has_value());
}

TEST_F(CatalogUpsert, RenameOnDiskKeepsUuid) {
  std::filesystem::path old_path = MakeFile("album/IMG_0001.jpg", "jpeg bytes");
  UpsertOutcome added = catalog_.UpsertFile(ObserveDisk(old_path));
  ASSERT_EQ(added.change, FileChange::kAdded);
  MediaInfo info;
  FileObservation before = ObserveDisk(old_path);
  ASSERT_TRUE(catalog_.StoreProbeResult(added.file_id, before.size, before.mtime_ns, info, "h"));

  std::filesystem::path new_path = root_ / "album" / "Harbour.PNG";
  std::filesystem::rename(old_path, new_path);
  UpsertOutcome renamed = catalog_.UpsertFile(ObserveDisk(new_path));
  EXPECT_EQ(renamed.change, FileChange::kRenamed);
  EXPECT_EQ(renamed.uuid, added.uuid);
  EXPECT_EQ(renamed.file_id, added.file_id);
  EXPECT_EQ(renamed.previous_path, old_path.string());

  EXPECT_FALSE(catalog_.FindFileByPath(old_path).has_value());
  std::optional<FileRecord> file = catalog_.FindFileByPath(new_path);
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->uuid, added.uuid);
  EXPECT_EQ(file->name, "Harbour.PNG");
  EXPECT_EQ(file->extension, ".png");
  // The content did not change, so the indexing result stays valid.
  EXPECT_EQ(file->status, "indexed");
  EXPECT_EQ(catalog_.CountFiles({}), 1);
}

TEST_F(CatalogUpsert, RenameIntoOtherFolder) {
  std::filesystem::path old_path = MakeFile("a/clip.mp4");
  UpsertOutcome added = catalog_.UpsertFile(ObserveDisk(old_path, "video"));
  std::filesystem::create_directories(root_ / "b");
  std::filesystem::path new_path = root_ / "b" / "clip.mp4";
  std::filesystem::rename(old_path, new_path);
  UpsertOutcome renamed = catalog_.UpsertFile(ObserveDisk(new_path, "video"));
  EXPECT_EQ(renamed.change, FileChange::kRenamed);
  EXPECT_EQ(renamed.uuid, added.uuid);
}

TEST_F(CatalogUpsert, HardLinkIsNotRename) {
  std::filesystem::path original = MakeFile("original.jpg");
  UpsertOutcome first = catalog_.UpsertFile(ObserveDisk(original));
  std::filesystem::path link = root_ / "link.jpg";
  std::filesystem::create_hard_link(original, link);

  UpsertOutcome second = catalog_.UpsertFile(ObserveDisk(link));
  EXPECT_EQ(second.change, FileChange::kAdded);
  EXPECT_NE(second.uuid, first.uuid);
  EXPECT_NE(second.file_id, first.file_id);
  EXPECT_TRUE(catalog_.FindFileByPath(original).has_value());
  EXPECT_TRUE(catalog_.FindFileByPath(link).has_value());
  EXPECT_EQ(catalog_.CountFiles({}), 2);
}

TEST_F(CatalogUpsert, SameIdentityWithDifferentSizeIsNew) {
  // A vanished entry only counts as renamed when size and mtime match too.
  UpsertOutcome first = catalog_.UpsertFile(Observe("gone.jpg", 100, 5, 42));
  UpsertOutcome second = catalog_.UpsertFile(Observe("new.jpg", 101, 5, 42));
  EXPECT_EQ(second.change, FileChange::kAdded);
  EXPECT_NE(second.uuid, first.uuid);
}

TEST_F(CatalogUpsert, BatchOfTwentyThousand) {
  std::vector<FileObservation> observations;
  for (int i = 0; i < 20000; ++i) {
    observations.push_back(
        Observe("batch/" + std::to_string(i / 1000) + "/f" + std::to_string(i) + ".jpg"));
  }
  std::vector<UpsertOutcome> outcomes = catalog_.UpsertFiles(observations);
  ASSERT_EQ(outcomes.size(), observations.size());
  std::set<std::string> uuids;
  for (const UpsertOutcome& outcome : outcomes) {
    ASSERT_EQ(outcome.change, FileChange::kAdded);
    uuids.insert(outcome.uuid);
  }
  EXPECT_EQ(uuids.size(), 20000u);
  EXPECT_EQ(catalog_.CountFiles({}), 20000);
  EXPECT_EQ(FtsRowCount(), 20000);

  std::vector<UpsertOutcome> again = catalog_.UpsertFiles(observations);
  for (size_t i = 0; i < again.size(); ++i) {
    ASSERT_EQ(again[i].change, FileChange::kUnchanged) << i;
    ASSERT_EQ(again[i].uuid, outcomes[i].uuid) << i;
  }
}

TEST_F(CatalogUpsert, BatchIsAllOrNothing) {
  std::vector<FileObservation> observations = {Observe("one.jpg"), Observe("two.jpg"),
                                               Observe("three.txt", 1, 1, 0, "text")};
  // "text" violates the kind constraint, so the whole batch is rolled back.
  EXPECT_THROW(catalog_.UpsertFiles(observations), SqliteError);
  EXPECT_EQ(catalog_.CountFiles({}), 0);
  EXPECT_EQ(FtsRowCount(), 0);
}

TEST_F(CatalogUpsert, UnknownDirectoryRejected) {
  FileObservation observation = Observe("a.jpg");
  observation.directory_id = directory_.id + 100;
  EXPECT_THROW(catalog_.UpsertFile(observation), SqliteError);
  EXPECT_EQ(catalog_.CountFiles({}), 0);
}

TEST_F(CatalogUpsert, FilesInDirectoryOrderedByPath) {
  AddFile("b.jpg");
  AddFile("a/z.jpg");
  AddFile("a.jpg");
  std::vector<FileRecord> files = catalog_.FilesInDirectory(directory_.id);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].path, (root_ / "a.jpg").string());
  EXPECT_EQ(files[1].path, (root_ / "a" / "z.jpg").string());
  EXPECT_EQ(files[2].path, (root_ / "b.jpg").string());
  EXPECT_TRUE(catalog_.FilesInDirectory(directory_.id + 1).empty());
}

}  // namespace
}  // namespace msearch::store
