#include "monitor/file_monitor.h"

#include <memory>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "monitor_test_util.h"
#include "support/temp_dir.h"

namespace msearch::monitor {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test_util::AppendFile;
using test_util::RecordingSink;
using test_util::TestConfig;
using test_util::WaitUntil;
using test_util::WriteFile;

// Runs a FileMonitor on a temporary folder and inspects the catalog through
// a second connection, as the other msearch processes do.
class FileMonitorTest : public ::testing::Test {
 protected:
  FileMonitorTest() {
    fs::create_directories(watched_);
    config_ = TestConfig(/*debounce_ms=*/300);
    config_.watched_dirs = {watched_};
  }
  ~FileMonitorTest() override { StopMonitor(); }

  // Starts the monitor and waits until `directory_count` directories are
  // monitored, i.e. their first scan is done.
  void StartMonitor(size_t directory_count = 1) {
    monitor_ = std::make_unique<FileMonitor>(catalog_path_, config_, sink_);
    catalog_ = std::make_unique<store::Catalog>(catalog_path_);
    thread_ = std::jthread([this](std::stop_token stop) { monitor_->Run(stop); });
    ASSERT_TRUE(WaitUntil([&] {
      size_t monitoring = 0;
      for (const store::DirectoryRecord& directory : catalog_->ListDirectories()) {
        monitoring += directory.state == "monitoring";
      }
      return monitoring == directory_count;
    })) << "the monitor did not finish its first scan";
  }
  void StopMonitor() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }

  std::string Path(const std::string& relative) const { return (watched_ / relative).string(); }
  std::optional<store::FileRecord> Find(const std::string& relative) {
    return catalog_->FindFileByPath(Path(relative));
  }
  bool WaitForFile(const std::string& relative) {
    return WaitUntil([&] { return Find(relative).has_value(); });
  }
  bool WaitForNoFile(const std::string& relative) {
    return WaitUntil([&] { return !Find(relative).has_value(); });
  }
  std::string StateOf(const fs::path& path) {
    std::optional<store::DirectoryRecord> directory = catalog_->FindDirectoryByPath(path);
    return directory ? directory->state : "absent";
  }

  msearch::testing::TempDir temp_;
  fs::path watched_ = temp_ / "watched";
  fs::path catalog_path_ = temp_ / "data" / "catalog.db";
  config::FileMonitorConfig config_;
  RecordingSink sink_;
  std::unique_ptr<FileMonitor> monitor_;
  std::unique_ptr<store::Catalog> catalog_;
  std::jthread thread_;
};

TEST_F(FileMonitorTest, InitialScanAndRegistration) {
  WriteFile(Path("existing.jpg"), "already here");
  WriteFile(Path("nested/song.mp3"), "music");
  StartMonitor();
  std::optional<store::DirectoryRecord> directory = catalog_->FindDirectoryByPath(watched_);
  ASSERT_TRUE(directory);
  EXPECT_TRUE(directory->from_config);
  EXPECT_TRUE(directory->recursive);
  EXPECT_FALSE(directory->error);
  EXPECT_TRUE(Find("existing.jpg"));
  EXPECT_TRUE(Find("nested/song.mp3"));
  EXPECT_EQ(sink_.changed().size(), 2u);
}

TEST_F(FileMonitorTest, FileWrittenInChunks) {
  // The writer pauses for much less than the debounce period between chunks,
  // with room for a loaded machine to oversleep.
  config_.debounce_ms = 1000;
  StartMonitor();
  const std::string chunk(4096, 'v');
  WriteFile(Path("recording.wav"), chunk);
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(60ms);
    AppendFile(Path("recording.wav"), chunk);
  }
  ASSERT_TRUE(WaitForFile("recording.wav"));
  std::optional<store::FileRecord> file = Find("recording.wav");
  EXPECT_EQ(file->size, 5u * 4096);
  EXPECT_EQ(file->kind, "audio");

  // Events are handled in order: once a later file is in, any second report
  // for the first one would have arrived.
  WriteFile(Path("barrier.jpg"), "b");
  ASSERT_TRUE(WaitForFile("barrier.jpg"));
  ASSERT_TRUE(WaitUntil([&] { return sink_.ChangesFor(Find("barrier.jpg")->id) == 1; }));
  EXPECT_EQ(sink_.ChangesFor(file->id), 1);
}

TEST_F(FileMonitorTest, RenameKeepsUuid) {
  StartMonitor();
  WriteFile(Path("take 1.mov"), "frames");
  ASSERT_TRUE(WaitForFile("take 1.mov"));
  std::string uuid = Find("take 1.mov")->uuid;

  fs::rename(Path("take 1.mov"), Path("final cut.mov"));
  ASSERT_TRUE(WaitForFile("final cut.mov"));
  EXPECT_TRUE(WaitForNoFile("take 1.mov"));
  EXPECT_EQ(Find("final cut.mov")->uuid, uuid);
  EXPECT_EQ(Find("final cut.mov")->name, "final cut.mov");
  EXPECT_EQ(sink_.changed().size(), 1u);
}

TEST_F(FileMonitorTest, RenameOverExistingFile) {
  WriteFile(Path("a.jpg"), "first");
  WriteFile(Path("b.jpg"), "second");
  StartMonitor();
  std::string uuid_a = Find("a.jpg")->uuid;
  fs::rename(Path("a.jpg"), Path("b.jpg"));
  ASSERT_TRUE(WaitForNoFile("a.jpg"));
  ASSERT_TRUE(Find("b.jpg"));
  EXPECT_EQ(Find("b.jpg")->uuid, uuid_a);
  EXPECT_EQ(sink_.removed(), 1);
}

TEST_F(FileMonitorTest, FolderMoveUpdatesPaths) {
  WriteFile(Path("day1/a.jpg"), "a");
  WriteFile(Path("day1/raw/b.mp4"), "b");
  fs::create_directories(Path("archive"));
  StartMonitor();
  std::string uuid_a = Find("day1/a.jpg")->uuid;
  std::string uuid_b = Find("day1/raw/b.mp4")->uuid;

  fs::rename(Path("day1"), Path("archive/day one"));
  ASSERT_TRUE(WaitForFile("archive/day one/raw/b.mp4"));
  ASSERT_TRUE(WaitForFile("archive/day one/a.jpg"));
  EXPECT_FALSE(Find("day1/a.jpg"));
  EXPECT_FALSE(Find("day1/raw/b.mp4"));
  EXPECT_EQ(Find("archive/day one/a.jpg")->uuid, uuid_a);
  EXPECT_EQ(Find("archive/day one/raw/b.mp4")->uuid, uuid_b);
  EXPECT_EQ(sink_.changed().size(), 2u);

  // The moved folder is still watched under its new name.
  WriteFile(Path("archive/day one/raw/c.mp4"), "c");
  EXPECT_TRUE(WaitForFile("archive/day one/raw/c.mp4"));
}

TEST_F(FileMonitorTest, FolderMovedIntoNewFolder) {
  WriteFile(Path("day1/a.jpg"), "a");
  StartMonitor();
  std::string uuid = Find("day1/a.jpg")->uuid;
  // The move may happen before the new folder has a watch. Then inotify
  // reports a move out of the tree, and the uuid must survive that too.
  fs::create_directories(Path("new parent"));
  fs::rename(Path("day1"), Path("new parent/day1"));
  ASSERT_TRUE(WaitForFile("new parent/day1/a.jpg"));
  EXPECT_TRUE(WaitForNoFile("day1/a.jpg"));
  EXPECT_EQ(Find("new parent/day1/a.jpg")->uuid, uuid);
}

TEST_F(FileMonitorTest, DeleteRemovesEntry) {
  WriteFile(Path("doomed.png"), "png");
  WriteFile(Path("folder/inside.png"), "png");
  StartMonitor();
  fs::remove(Path("doomed.png"));
  EXPECT_TRUE(WaitForNoFile("doomed.png"));
  fs::remove_all(Path("folder"));
  EXPECT_TRUE(WaitForNoFile("folder/inside.png"));
  EXPECT_TRUE(WaitUntil([&] { return sink_.removed() == 2; }));
}

TEST_F(FileMonitorTest, NewSubfolderPickedUp) {
  StartMonitor();
  fs::create_directories(Path("new/deeper/deepest"));
  WriteFile(Path("new/deeper/deepest/clip.mkv"), "mkv");
  WriteFile(Path("new/top.flac"), "flac");
  EXPECT_TRUE(WaitForFile("new/deeper/deepest/clip.mkv"));
  EXPECT_TRUE(WaitForFile("new/top.flac"));
}

TEST_F(FileMonitorTest, FolderMovedInAndOut) {
  WriteFile(temp_ / "outside" / "shoot" / "a.jpg", "a");
  WriteFile(temp_ / "outside" / "shoot" / "sub" / "b.jpg", "b");
  StartMonitor();
  fs::rename(temp_ / "outside" / "shoot", Path("shoot"));
  ASSERT_TRUE(WaitForFile("shoot/a.jpg"));
  ASSERT_TRUE(WaitForFile("shoot/sub/b.jpg"));

  fs::rename(Path("shoot"), temp_ / "outside" / "shoot");
  EXPECT_TRUE(WaitForNoFile("shoot/a.jpg"));
  EXPECT_TRUE(WaitForNoFile("shoot/sub/b.jpg"));
}

TEST_F(FileMonitorTest, PartialDownloadRenamed) {
  StartMonitor();
  WriteFile(Path("movie.mp4.part"), "downloading");
  fs::rename(Path("movie.mp4.part"), Path("movie.mp4"));
  ASSERT_TRUE(WaitForFile("movie.mp4"));
  EXPECT_FALSE(Find("movie.mp4.part"));
}

TEST_F(FileMonitorTest, IgnoredAndShortLivedFilesNotReported) {
  config_.debounce_ms = 1000;  // time enough to delete flash.jpg within it
  StartMonitor();
  WriteFile(Path(".hidden.jpg"), "h");
  WriteFile(Path("render.tmp"), "t");
  WriteFile(Path("flash.jpg"), "here and gone");
  fs::remove(Path("flash.jpg"));
  WriteFile(Path("barrier.jpg"), "b");
  ASSERT_TRUE(WaitForFile("barrier.jpg"));
  EXPECT_FALSE(Find(".hidden.jpg"));
  EXPECT_FALSE(Find("render.tmp"));
  EXPECT_FALSE(Find("flash.jpg"));
  ASSERT_TRUE(WaitUntil([&] { return sink_.changed().size() == 1; }));
  EXPECT_EQ(sink_.changed()[0].file_id, Find("barrier.jpg")->id);
}

TEST_F(FileMonitorTest, ModifiedFileReported) {
  WriteFile(Path("edit.png"), "v1");
  StartMonitor();
  int64_t id = Find("edit.png")->id;
  WriteFile(Path("edit.png"), "version two");
  ASSERT_TRUE(WaitUntil([&] { return Find("edit.png")->size == 11; }));
  ASSERT_TRUE(WaitUntil([&] { return sink_.ChangesFor(id) == 2; }));
  EXPECT_EQ(sink_.changed().back().change, store::FileChange::kModified);
  EXPECT_EQ(Find("edit.png")->status, "pending");
}

TEST_F(FileMonitorTest, MissingFolderRecovers) {
  fs::remove(watched_);
  config_.scan_interval = 1;
  monitor_ = std::make_unique<FileMonitor>(catalog_path_, config_, sink_);
  catalog_ = std::make_unique<store::Catalog>(catalog_path_);
  thread_ = std::jthread([this](std::stop_token stop) { monitor_->Run(stop); });
  ASSERT_TRUE(WaitUntil([&] { return StateOf(watched_) == "error"; }));
  std::optional<store::DirectoryRecord> directory = catalog_->FindDirectoryByPath(watched_);
  ASSERT_TRUE(directory->error);
  EXPECT_NE(directory->error->find("not found"), std::string::npos);

  WriteFile(Path("arrived.jpg"), "late");
  // The periodic rescan (every second here) finds the folder again.
  ASSERT_TRUE(WaitUntil([&] { return StateOf(watched_) == "monitoring"; }));
  EXPECT_TRUE(WaitForFile("arrived.jpg"));
  WriteFile(Path("live.jpg"), "watched again");
  EXPECT_TRUE(WaitForFile("live.jpg"));
}

TEST_F(FileMonitorTest, RootDeletedThenRecreated) {
  WriteFile(Path("a.jpg"), "a");
  StartMonitor();
  fs::rename(watched_, temp_ / "away");
  ASSERT_TRUE(WaitUntil([&] { return StateOf(watched_) == "error"; }));
  // A moved-away root may come back (an unmounted drive): entries are kept.
  EXPECT_TRUE(Find("a.jpg"));

  fs::rename(temp_ / "away", watched_);
  monitor_->RequestRescan();
  ASSERT_TRUE(WaitUntil([&] { return StateOf(watched_) == "monitoring"; }));
  WriteFile(Path("b.jpg"), "b");
  EXPECT_TRUE(WaitForFile("b.jpg"));
}

TEST_F(FileMonitorTest, RescanFindsUnwatchedChanges) {
  // Writes through a path the watcher cannot see: a symbolic link to a file
  // outside the tree is indexed under the link, but changes to the target
  // produce no event inside the tree.
  WriteFile(temp_ / "outside" / "target.mp3", "v1");
  fs::create_symlink(temp_ / "outside" / "target.mp3", Path("link.mp3"));
  StartMonitor();
  ASSERT_TRUE(Find("link.mp3"));
  WriteFile(temp_ / "outside" / "target.mp3", "version 2");
  monitor_->RequestRescan(catalog_->FindDirectoryByPath(watched_)->id);
  EXPECT_TRUE(WaitUntil([&] { return Find("link.mp3")->size == 9; }));
}

TEST_F(FileMonitorTest, ReloadAddsAndPausesDirectories) {
  StartMonitor();
  fs::path second = temp_ / "second";
  WriteFile(second / "from api.jpg", "x");
  store::DirectoryRecord added = catalog_->AddDirectory(second, true, false);
  monitor_->ReloadDirectories();
  ASSERT_TRUE(WaitUntil([&] { return StateOf(second) == "monitoring"; }));
  EXPECT_TRUE(catalog_->FindFileByPath(second / "from api.jpg"));
  WriteFile(second / "live.jpg", "x");
  ASSERT_TRUE(WaitUntil([&] { return catalog_->FindFileByPath(second / "live.jpg").has_value(); }));

  catalog_->SetDirectoryState(added.id, "paused", std::nullopt);
  monitor_->ReloadDirectories();
  // A barrier in the other folder: the reload is handled before its event.
  WriteFile(Path("barrier.jpg"), "b");
  ASSERT_TRUE(WaitForFile("barrier.jpg"));
  WriteFile(second / "while paused.jpg", "x");
  WriteFile(Path("barrier2.jpg"), "b");
  ASSERT_TRUE(WaitForFile("barrier2.jpg"));
  EXPECT_FALSE(catalog_->FindFileByPath(second / "while paused.jpg"));
  EXPECT_EQ(StateOf(second), "paused");
  EXPECT_TRUE(catalog_->FindFileByPath(second / "live.jpg"));  // entries stay

  catalog_->SetDirectoryState(added.id, "initializing", std::nullopt);
  monitor_->ReloadDirectories();
  EXPECT_TRUE(
      WaitUntil([&] { return catalog_->FindFileByPath(second / "while paused.jpg").has_value(); }));
  EXPECT_TRUE(WaitUntil([&] { return StateOf(second) == "monitoring"; }));
}

TEST_F(FileMonitorTest, MoveBetweenDirectoriesKeepsUuid) {
  fs::path second = temp_ / "second";
  WriteFile(second / "folder" / "b.mp3", "b");
  WriteFile(Path("a.jpg"), "a");
  config_.watched_dirs.push_back(second);
  StartMonitor(2);
  std::string uuid_a = Find("a.jpg")->uuid;
  std::string uuid_b = catalog_->FindFileByPath(second / "folder" / "b.mp3")->uuid;
  int64_t second_id = catalog_->FindDirectoryByPath(second)->id;
  int64_t first_id = catalog_->FindDirectoryByPath(watched_)->id;

  fs::rename(Path("a.jpg"), second / "a.jpg");
  fs::rename(second / "folder", Path("folder"));
  ASSERT_TRUE(WaitUntil([&] { return catalog_->FindFileByPath(second / "a.jpg").has_value(); }));
  ASSERT_TRUE(WaitForFile("folder/b.mp3"));
  EXPECT_TRUE(WaitForNoFile("a.jpg"));
  EXPECT_TRUE(WaitUntil(
      [&] { return !catalog_->FindFileByPath(second / "folder" / "b.mp3").has_value(); }));

  std::optional<store::FileRecord> a = catalog_->FindFileByPath(second / "a.jpg");
  EXPECT_EQ(a->uuid, uuid_a);
  EXPECT_EQ(a->directory_id, second_id);
  std::optional<store::FileRecord> b = Find("folder/b.mp3");
  EXPECT_EQ(b->uuid, uuid_b);
  EXPECT_EQ(b->directory_id, first_id);
}

TEST_F(FileMonitorTest, UnreadableSubfolderReported) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads folders without permission; skipped";
  WriteFile(Path("locked/a.jpg"), "a");
  WriteFile(Path("open.jpg"), "b");
  fs::permissions(Path("locked"), fs::perms::none);
  StartMonitor();
  std::optional<store::DirectoryRecord> directory = catalog_->FindDirectoryByPath(watched_);
  ASSERT_TRUE(directory->error);
  EXPECT_NE(directory->error->find(Path("locked")), std::string::npos);
  EXPECT_TRUE(Find("open.jpg"));
  EXPECT_FALSE(Find("locked/a.jpg"));

  // Making it readable is an attribute change the watcher reacts to.
  fs::permissions(Path("locked"), fs::perms::owner_all);
  EXPECT_TRUE(WaitForFile("locked/a.jpg"));
}

TEST_F(FileMonitorTest, RemovedDirectoryNoLongerWatched) {
  StartMonitor();
  fs::path second = temp_ / "second";
  fs::create_directories(second);
  store::DirectoryRecord added = catalog_->AddDirectory(second, true, false);
  monitor_->ReloadDirectories();
  ASSERT_TRUE(WaitUntil([&] { return StateOf(second) == "monitoring"; }));
  catalog_->RemoveDirectory(added.id);
  monitor_->ReloadDirectories();
  WriteFile(Path("barrier.jpg"), "b");
  ASSERT_TRUE(WaitForFile("barrier.jpg"));
  WriteFile(second / "after removal.jpg", "x");
  WriteFile(Path("barrier2.jpg"), "b");
  ASSERT_TRUE(WaitForFile("barrier2.jpg"));
  EXPECT_FALSE(catalog_->FindFileByPath(second / "after removal.jpg"));
}

}  // namespace
}  // namespace msearch::monitor
