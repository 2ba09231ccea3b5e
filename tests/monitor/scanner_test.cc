#include "monitor/scanner.h"

#include <set>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/file_monitor.h"
#include "monitor_test_util.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::monitor {
namespace {

namespace fs = std::filesystem;
using test_util::CopyWritableTree;
using test_util::EntriesOf;
using test_util::RecordingSink;
using test_util::TestConfig;
using test_util::WriteFile;

class ScannerTest : public ::testing::Test {
 protected:
  ScannerTest() : catalog_(temp_ / "catalog.db") { fs::create_directories(root_); }

  store::DirectoryRecord AddRoot(bool recursive = true) {
    return catalog_.AddDirectory(root_, recursive, false);
  }
  ScanStats Scan(const store::DirectoryRecord& directory) {
    return ScanOnce(catalog_, directory, config_, sink_);
  }
  std::string Path(const std::string& relative) const { return (root_ / relative).string(); }

  msearch::testing::TempDir temp_;
  fs::path root_ = temp_ / "media";
  store::Catalog catalog_;
  config::FileMonitorConfig config_ = TestConfig();
  RecordingSink sink_;
};

TEST_F(ScannerTest, MixedCorpus) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  CopyWritableTree(shared / "corpus" / "mixed", root_);
  fs::path project = root_ / "Harbor Shoot 2024";
  fs::create_symlink("DSC_0042.JPG", project / "stills" / "best_shot.jpg");
  fs::create_directory_symlink("..", project / "footage" / "back_to_project");
  fs::create_symlink("self_loop", project / "self_loop");

  store::DirectoryRecord directory = AddRoot();
  ScanStats stats = Scan(directory);

  EXPECT_TRUE(stats.complete);
  EXPECT_TRUE(stats.errors.empty())
      << stats.errors.front().path << ": " << stats.errors.front().message;
  std::map<std::string, std::string> expected_kinds = {
      {"Harbor Shoot 2024/stills/DSC_0042.JPG", "image"},
      {"Harbor Shoot 2024/stills/港口素材/日落照片.jpg", "image"},
      {"Harbor Shoot 2024/footage/A001 C003 take 2.mov", "video"},
      {"Harbor Shoot 2024/footage/A001_C002.mp4", "video"},
      {"Harbor Shoot 2024/audio/voiceover take 1.wav", "audio"},
  };
  std::vector<store::FileRecord> files = catalog_.FilesInDirectory(directory.id);
  std::map<std::string, std::string> found_kinds;
  for (const store::FileRecord& file : files) {
    found_kinds[fs::path(file.path).lexically_relative(root_).string()] = file.kind;
  }
  EXPECT_EQ(found_kinds, expected_kinds);

  // .thumb_cache.jpg, export_v3.mp4.tmp, notes.txt, shot list.pdf, and the
  // three links: none is indexed, none is an error.
  EXPECT_EQ(stats.seen, 5);
  EXPECT_EQ(stats.added, 5);
  EXPECT_EQ(stats.skipped, 7);
  EXPECT_EQ(stats.removed, 0);

  std::optional<store::FileRecord> still =
      catalog_.FindFileByPath(project / "stills" / "DSC_0042.JPG");
  ASSERT_TRUE(still);
  EXPECT_EQ(still->extension, ".jpg");
  EXPECT_EQ(still->size, 74791u);
  EXPECT_EQ(still->status, "pending");
  EXPECT_FALSE(catalog_.FindFileByPath(project / "stills" / "best_shot.jpg"));

  std::vector<store::UpsertOutcome> changed = sink_.changed();
  ASSERT_EQ(changed.size(), 5u);
  for (const store::UpsertOutcome& outcome : changed) {
    EXPECT_EQ(outcome.change, store::FileChange::kAdded);
  }
  EXPECT_EQ(sink_.scans_finished(), 1);
  EXPECT_TRUE(catalog_.FindDirectory(directory.id)->last_scan_at.has_value());

  ScanStats again = Scan(directory);
  EXPECT_EQ(again.unchanged, 5);
  EXPECT_EQ(again.added, 0);
  EXPECT_EQ(again.removed, 0);
  EXPECT_EQ(sink_.changed().size(), 5u);
}

TEST_F(ScannerTest, RescanDetectsChanges) {
  WriteFile(Path("keep.jpg"), "keep");
  WriteFile(Path("grow.png"), "small");
  WriteFile(Path("delete.mp3"), "gone soon");
  WriteFile(Path("old name.mp4"), "renamed later");
  WriteFile(Path("move me.wav"), "moved later");
  store::DirectoryRecord directory = AddRoot();
  ASSERT_EQ(Scan(directory).added, 5);
  std::map<std::string, std::string> before = EntriesOf(catalog_, directory.id);

  WriteFile(Path("new.gif"), "new");
  WriteFile(Path("grow.png"), "much larger content");
  fs::remove(Path("delete.mp3"));
  fs::rename(Path("old name.mp4"), Path("new name.mp4"));
  fs::create_directories(Path("sub/deeper"));
  fs::rename(Path("move me.wav"), Path("sub/deeper/moved.wav"));

  ScanStats stats = Scan(directory);
  EXPECT_TRUE(stats.complete);
  EXPECT_EQ(stats.seen, 5);
  EXPECT_EQ(stats.added, 1);
  EXPECT_EQ(stats.modified, 1);
  EXPECT_EQ(stats.renamed, 2);
  EXPECT_EQ(stats.removed, 1);
  EXPECT_EQ(stats.unchanged, 1);

  std::map<std::string, std::string> after = EntriesOf(catalog_, directory.id);
  EXPECT_EQ(after.size(), 5u);
  EXPECT_FALSE(after.contains(Path("delete.mp3")));
  EXPECT_FALSE(after.contains(Path("old name.mp4")));
  EXPECT_EQ(after[Path("new name.mp4")], before[Path("old name.mp4")]);
  EXPECT_EQ(after[Path("sub/deeper/moved.wav")], before[Path("move me.wav")]);
  EXPECT_EQ(after[Path("grow.png")], before[Path("grow.png")]);
  EXPECT_EQ(after[Path("keep.jpg")], before[Path("keep.jpg")]);
  EXPECT_EQ(catalog_.FindFileByPath(Path("grow.png"))->size, 19u);
  EXPECT_EQ(sink_.removed(), 1);

  // The sink hears about work only: 5 initial files, then new.gif and grow.png.
  std::vector<store::UpsertOutcome> changed = sink_.changed();
  ASSERT_EQ(changed.size(), 7u);
  std::set<std::string> reported;
  for (size_t i = 5; i < changed.size(); ++i) {
    reported.insert(catalog_.FindFile(changed[i].file_id)->path);
  }
  EXPECT_EQ(reported, (std::set<std::string>{Path("new.gif"), Path("grow.png")}));
}

TEST_F(ScannerTest, MissingRootKeepsEntries) {
  WriteFile(Path("a.jpg"), "a");
  store::DirectoryRecord directory = AddRoot();
  ASSERT_EQ(Scan(directory).added, 1);
  fs::rename(root_, temp_ / "elsewhere");

  ScanStats stats = Scan(directory);
  EXPECT_FALSE(stats.complete);
  ASSERT_EQ(stats.errors.size(), 1u);
  EXPECT_EQ(stats.errors[0].path, root_.string());
  EXPECT_EQ(stats.removed, 0);
  EXPECT_TRUE(catalog_.FindFileByPath(Path("a.jpg")));
}

TEST_F(ScannerTest, UnreadableFolderKeepsEntries) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads folders without permission; skipped";
  WriteFile(Path("open/a.jpg"), "a");
  WriteFile(Path("locked/b.jpg"), "b");
  WriteFile(Path("locked/inner/c.jpg"), "c");
  WriteFile(Path("listable/d.jpg"), "d");
  store::DirectoryRecord directory = AddRoot();
  ASSERT_EQ(Scan(directory).added, 4);

  fs::permissions(Path("locked"), fs::perms::none);
  // Readable but not searchable: names can be listed, files not examined.
  fs::permissions(Path("listable"), fs::perms::owner_read);
  fs::remove(Path("open/a.jpg"));

  ScanStats stats = Scan(directory);
  fs::permissions(Path("locked"), fs::perms::owner_all);
  fs::permissions(Path("listable"), fs::perms::owner_all);

  EXPECT_TRUE(stats.complete);
  ASSERT_EQ(stats.errors.size(), 2u);
  std::set<std::string> error_paths = {stats.errors[0].path, stats.errors[1].path};
  EXPECT_EQ(error_paths, (std::set<std::string>{Path("locked"), Path("listable")}));
  EXPECT_NE(stats.errors[0].message.find("Permission denied"), std::string::npos);
  EXPECT_EQ(stats.removed, 1);
  EXPECT_FALSE(catalog_.FindFileByPath(Path("open/a.jpg")));
  EXPECT_TRUE(catalog_.FindFileByPath(Path("locked/b.jpg")));
  EXPECT_TRUE(catalog_.FindFileByPath(Path("locked/inner/c.jpg")));
  EXPECT_TRUE(catalog_.FindFileByPath(Path("listable/d.jpg")));
}

TEST_F(ScannerTest, NonRecursive) {
  WriteFile(Path("top.jpg"), "top");
  WriteFile(Path("sub/below.jpg"), "below");
  store::DirectoryRecord directory = AddRoot(/*recursive=*/false);
  ScanStats stats = Scan(directory);
  EXPECT_EQ(stats.added, 1);
  EXPECT_EQ(stats.skipped, 1);
  EXPECT_TRUE(catalog_.FindFileByPath(Path("top.jpg")));
  EXPECT_FALSE(catalog_.FindFileByPath(Path("sub/below.jpg")));
}

TEST_F(ScannerTest, HiddenFolderSkipped) {
  WriteFile(Path(".cache/thumb.jpg"), "thumb");
  WriteFile(Path("visible/.hidden.jpg"), "hidden");
  WriteFile(Path("visible/shown.jpg"), "shown");
  store::DirectoryRecord directory = AddRoot();
  ScanStats stats = Scan(directory);
  EXPECT_EQ(stats.added, 1);
  EXPECT_EQ(stats.skipped, 2);
  EXPECT_TRUE(catalog_.FindFileByPath(Path("visible/shown.jpg")));
}

TEST_F(ScannerTest, NewlyIgnoredEntriesRemoved) {
  WriteFile(Path("drafts/a.jpg"), "a");
  WriteFile(Path("b.jpg"), "b");
  store::DirectoryRecord directory = AddRoot();
  ASSERT_EQ(Scan(directory).added, 2);

  config_.ignore_patterns.push_back("drafts");
  ScanStats stats = Scan(directory);
  EXPECT_EQ(stats.removed, 1);
  EXPECT_FALSE(catalog_.FindFileByPath(Path("drafts/a.jpg")));
  EXPECT_TRUE(catalog_.FindFileByPath(Path("b.jpg")));
}

TEST_F(ScannerTest, LinkToOutsideFileIndexed) {
  WriteFile(temp_ / "outside" / "elsewhere.mp3", "audio bytes");
  WriteFile(Path("real.jpg"), "real");
  fs::create_symlink(temp_ / "outside" / "elsewhere.mp3", Path("linked.mp3"));
  fs::create_symlink("real.jpg", Path("alias.jpg"));
  fs::create_symlink(temp_ / "missing.jpg", Path("dangling.jpg"));
  fs::create_directory_symlink(temp_ / "outside", Path("outside_link"));
  store::DirectoryRecord directory = AddRoot();
  ScanStats stats = Scan(directory);
  EXPECT_EQ(stats.added, 2);
  EXPECT_EQ(stats.skipped, 3);
  EXPECT_TRUE(stats.errors.empty());
  std::optional<store::FileRecord> linked = catalog_.FindFileByPath(Path("linked.mp3"));
  ASSERT_TRUE(linked);
  EXPECT_EQ(linked->size, 11u);
  EXPECT_EQ(linked->kind, "audio");
  EXPECT_FALSE(catalog_.FindFileByPath(Path("alias.jpg")));
  EXPECT_FALSE(catalog_.FindFileByPath(Path("outside_link/elsewhere.mp3")));
}

TEST_F(ScannerTest, LinkToHiddenFileInsideIndexed) {
  // The target is inside the tree but in a folder the scan skips, so the
  // link is the only way the file gets indexed.
  WriteFile(Path(".private/take.wav"), "wav");
  fs::create_symlink(".private/take.wav", Path("take.wav"));
  store::DirectoryRecord directory = AddRoot();
  EXPECT_EQ(Scan(directory).added, 1);
  EXPECT_TRUE(catalog_.FindFileByPath(Path("take.wav")));
}

TEST_F(ScannerTest, BatchesReportProgress) {
  for (int i = 0; i < 7; ++i) WriteFile(Path("f" + std::to_string(i) + ".png"), "x");
  store::DirectoryRecord directory = AddRoot();
  FileFilter filter(config_);
  Scanner scanner(catalog_, filter, sink_, /*batch_size=*/3);
  ScanStats stats = scanner.Scan(directory);
  EXPECT_EQ(stats.added, 7);
  EXPECT_EQ(sink_.changed_calls(), 3);
  EXPECT_EQ(sink_.progress_calls(), 3);
  EXPECT_EQ(catalog_.FilesInDirectory(directory.id).size(), 7u);
}

TEST_F(ScannerTest, StoppedScanRemovesNothing) {
  WriteFile(Path("a.jpg"), "a");
  store::DirectoryRecord directory = AddRoot();
  ASSERT_EQ(Scan(directory).added, 1);
  fs::remove(Path("a.jpg"));
  std::stop_source stop;
  stop.request_stop();
  ScanStats stats = ScanOnce(catalog_, directory, config_, sink_, stop.get_token());
  EXPECT_FALSE(stats.complete);
  EXPECT_EQ(stats.removed, 0);
  EXPECT_TRUE(catalog_.FindFileByPath(Path("a.jpg")));
}

}  // namespace
}  // namespace msearch::monitor
