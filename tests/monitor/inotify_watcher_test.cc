#include "monitor/inotify_watcher.h"

#include <algorithm>
#include <mutex>

#include <gtest/gtest.h>

#include "monitor_test_util.h"
#include "support/temp_dir.h"

namespace msearch::monitor {
namespace {

namespace fs = std::filesystem;
using test_util::TestConfig;
using test_util::WaitUntil;
using test_util::WriteFile;
using Type = WatchEvent::Type;

class InotifyWatcherTest : public ::testing::Test {
 protected:
  InotifyWatcherTest() {
    fs::create_directories(root_);
    watcher_.Start();
  }
  ~InotifyWatcherTest() override { watcher_.Stop(); }

  std::string Path(const std::string& relative) const { return (root_ / relative).string(); }

  // Waits until an event of `type` for `path` (and `old_path`, for moves)
  // arrived.
  bool WaitForEvent(Type type, const std::string& path, const std::string& old_path = {}) {
    return WaitUntil([&] {
      std::lock_guard lock(mutex_);
      return std::any_of(events_.begin(), events_.end(), [&](const WatchEvent& event) {
        return event.type == type && event.path == path &&
               (old_path.empty() || event.old_path == old_path);
      });
    });
  }
  bool Received(Type type, const std::string& path) {
    std::lock_guard lock(mutex_);
    return std::any_of(events_.begin(), events_.end(), [&](const WatchEvent& event) {
      return event.type == type && event.path == path;
    });
  }

  msearch::testing::TempDir temp_;
  fs::path root_ = temp_ / "watched";
  FileFilter filter_{TestConfig()};
  std::mutex mutex_;
  std::vector<WatchEvent> events_;
  InotifyWatcher watcher_{filter_, [this](std::vector<WatchEvent> events) {
                            std::lock_guard lock(mutex_);
                            for (WatchEvent& event : events) events_.push_back(std::move(event));
                          }};
};

TEST_F(InotifyWatcherTest, WatchesWholeTree) {
  fs::create_directories(Path("a/b/c"));
  fs::create_directories(Path(".hidden/d"));
  ASSERT_TRUE(watcher_.AddRoot(root_.string(), true));
  EXPECT_EQ(watcher_.watch_count(), 4u);  // root, a, a/b, a/b/c

  WriteFile(Path("a/b/c/deep.jpg"), "x");
  EXPECT_TRUE(WaitForEvent(Type::kChanged, Path("a/b/c/deep.jpg")));
}

TEST_F(InotifyWatcherTest, NonRecursiveWatchesRootOnly) {
  fs::create_directories(Path("a"));
  ASSERT_TRUE(watcher_.AddRoot(root_.string(), false));
  EXPECT_EQ(watcher_.watch_count(), 1u);
}

TEST_F(InotifyWatcherTest, IgnoredNamesDropped) {
  ASSERT_TRUE(watcher_.AddRoot(root_.string(), true));
  WriteFile(Path("notes.txt"), "x");
  WriteFile(Path(".hidden.jpg"), "x");
  WriteFile(Path("render.mp4.tmp"), "x");
  WriteFile(Path("last.jpg"), "x");
  ASSERT_TRUE(WaitForEvent(Type::kChanged, Path("last.jpg")));
  // Events arrive in order, so the earlier files would have been reported.
  EXPECT_FALSE(Received(Type::kChanged, Path("notes.txt")));
  EXPECT_FALSE(Received(Type::kChanged, Path(".hidden.jpg")));
  EXPECT_FALSE(Received(Type::kChanged, Path("render.mp4.tmp")));
}

TEST_F(InotifyWatcherTest, RenamePaired) {
  WriteFile(Path("before.jpg"), "x");
  fs::create_directories(Path("sub"));
  ASSERT_TRUE(watcher_.AddRoot(root_.string(), true));
  fs::rename(Path("before.jpg"), Path("sub/after.jpg"));
  EXPECT_TRUE(WaitForEvent(Type::kMoved, Path("sub/after.jpg"), Path("before.jpg")));
  EXPECT_FALSE(Received(Type::kMovedOut, Path("before.jpg")));
}

TEST_F(InotifyWatcherTest, MoveOutReported) {
  WriteFile(Path("leaving.mp3"), "x");
  fs::create_directories(Path("folder/inner"));
  ASSERT_TRUE(watcher_.AddRoot(root_.string(), true));
  size_t watches = watcher_.watch_count();
  fs::rename(Path("leaving.mp3"), temp_ / "leaving.mp3");
  fs::rename(Path("folder"), temp_ / "folder");
  EXPECT_TRUE(WaitForEvent(Type::kMovedOut, Path("leaving.mp3")));
  EXPECT_TRUE(WaitForEvent(Type::kMovedOut, Path("folder")));
  EXPECT_EQ(watcher_.watch_count(), watches - 2);

  // The moved-out folder is no longer watched.
  WriteFile(temp_ / "folder" / "inner" / "later.jpg", "x");
  WriteFile(Path("marker.jpg"), "x");
  ASSERT_TRUE(WaitForEvent(Type::kChanged, Path("marker.jpg")));
  EXPECT_FALSE(Received(Type::kChanged, Path("folder/inner/later.jpg")));
}

TEST_F(InotifyWatcherTest, MoveInIsCreation) {
  WriteFile(temp_ / "incoming.wav", "x");
  WriteFile(temp_ / "incoming_dir" / "nested" / "clip.mov", "x");
  ASSERT_TRUE(watcher_.AddRoot(root_.string(), true));
  fs::rename(temp_ / "incoming.wav", Path("incoming.wav"));
  fs::rename(temp_ / "incoming_dir", Path("incoming_dir"));
  EXPECT_TRUE(WaitForEvent(Type::kChanged, Path("incoming.wav")));
  EXPECT_TRUE(WaitForEvent(Type::kDirectoryAdded, Path("incoming_dir")));
  // Its subfolders are watched too.
  WriteFile(Path("incoming_dir/nested/second.mov"), "x");
  EXPECT_TRUE(WaitForEvent(Type::kChanged, Path("incoming_dir/nested/second.mov")));
}

TEST_F(InotifyWatcherTest, NewFolderWatched) {
  ASSERT_TRUE(watcher_.AddRoot(root_.string(), true));
  fs::create_directories(Path("new/deeper"));
  EXPECT_TRUE(WaitForEvent(Type::kDirectoryAdded, Path("new")));
  WriteFile(Path("new/deeper/file.png"), "x");
  EXPECT_TRUE(WaitForEvent(Type::kChanged, Path("new/deeper/file.png")));
}

TEST_F(InotifyWatcherTest, FolderRenameUpdatesPaths) {
  fs::create_directories(Path("old/inner"));
  ASSERT_TRUE(watcher_.AddRoot(root_.string(), true));
  fs::rename(Path("old"), Path("renamed"));
  ASSERT_TRUE(WaitForEvent(Type::kMoved, Path("renamed"), Path("old")));
  WriteFile(Path("renamed/inner/file.gif"), "x");
  EXPECT_TRUE(WaitForEvent(Type::kChanged, Path("renamed/inner/file.gif")));
}

TEST_F(InotifyWatcherTest, FolderRenamedToHidden) {
  fs::create_directories(Path("visible"));
  ASSERT_TRUE(watcher_.AddRoot(root_.string(), true));
  fs::rename(Path("visible"), Path(".trash"));
  EXPECT_TRUE(WaitForEvent(Type::kRemoved, Path("visible")));
  fs::rename(Path(".trash"), Path("back"));
  EXPECT_TRUE(WaitForEvent(Type::kDirectoryAdded, Path("back")));
}

TEST_F(InotifyWatcherTest, DeletionsReported) {
  WriteFile(Path("dir/file.jpg"), "x");
  ASSERT_TRUE(watcher_.AddRoot(root_.string(), true));
  fs::remove_all(Path("dir"));
  EXPECT_TRUE(WaitForEvent(Type::kRemoved, Path("dir/file.jpg")));
  EXPECT_TRUE(WaitForEvent(Type::kRemoved, Path("dir")));
  EXPECT_TRUE(WaitUntil([&] { return watcher_.watch_count() == 1; }));
}

TEST_F(InotifyWatcherTest, RootGone) {
  ASSERT_TRUE(watcher_.AddRoot(root_.string(), true));
  fs::rename(root_, temp_ / "moved_root");
  EXPECT_TRUE(WaitForEvent(Type::kRootGone, root_.string()));
}

TEST_F(InotifyWatcherTest, RemoveRoot) {
  fs::create_directories(Path("a"));
  ASSERT_TRUE(watcher_.AddRoot(root_.string(), true));
  EXPECT_EQ(watcher_.watch_count(), 2u);
  watcher_.RemoveRoot(root_.string());
  EXPECT_EQ(watcher_.watch_count(), 0u);
}

TEST_F(InotifyWatcherTest, MissingRoot) {
  EXPECT_FALSE(watcher_.AddRoot((temp_ / "absent").string(), true));
  EXPECT_EQ(watcher_.watch_count(), 0u);
}

}  // namespace
}  // namespace msearch::monitor
