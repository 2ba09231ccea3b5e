#include "monitor/debouncer.h"

#include <gtest/gtest.h>

#include "monitor_test_util.h"
#include "support/temp_dir.h"

namespace msearch::monitor {
namespace {

using namespace std::chrono_literals;
using test_util::AppendFile;
using test_util::WriteFile;
using Clock = Debouncer::Clock;

class DebouncerTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) { return (temp_ / name).string(); }

  msearch::testing::TempDir temp_;
  Debouncer debouncer_{500ms};
  Clock::time_point start_ = Clock::now();
};

TEST_F(DebouncerTest, ReadyAfterQuietPeriod) {
  WriteFile(Path("a.jpg"), "abc");
  debouncer_.Touch(Path("a.jpg"), start_);
  EXPECT_TRUE(debouncer_.TakeReady(start_ + 499ms).empty());
  EXPECT_TRUE(debouncer_.IsPending(Path("a.jpg")));
  EXPECT_EQ(debouncer_.TakeReady(start_ + 500ms), std::vector<std::string>{Path("a.jpg")});
  EXPECT_EQ(debouncer_.size(), 0u);
}

TEST_F(DebouncerTest, EventsExtendTheWait) {
  WriteFile(Path("a.jpg"), "abc");
  debouncer_.Touch(Path("a.jpg"), start_);
  AppendFile(Path("a.jpg"), "def");
  debouncer_.Touch(Path("a.jpg"), start_ + 400ms);
  EXPECT_TRUE(debouncer_.TakeReady(start_ + 600ms).empty());
  EXPECT_EQ(debouncer_.TakeReady(start_ + 900ms).size(), 1u);
}

TEST_F(DebouncerTest, GrowthWithoutEventWaitsAgain) {
  WriteFile(Path("a.mov"), "abc");
  debouncer_.Touch(Path("a.mov"), start_);
  AppendFile(Path("a.mov"), "more data");  // no event reported for this write
  EXPECT_TRUE(debouncer_.TakeReady(start_ + 500ms).empty());
  EXPECT_TRUE(debouncer_.IsPending(Path("a.mov")));
  EXPECT_EQ(debouncer_.NextDeadline(), start_ + 1000ms);
  EXPECT_TRUE(debouncer_.TakeReady(start_ + 999ms).empty());
  EXPECT_EQ(debouncer_.TakeReady(start_ + 1000ms).size(), 1u);
}

TEST_F(DebouncerTest, CreateThenDeleteCancels) {
  WriteFile(Path("a.jpg"), "abc");
  debouncer_.Touch(Path("a.jpg"), start_);
  EXPECT_TRUE(debouncer_.Cancel(Path("a.jpg")));
  EXPECT_FALSE(debouncer_.Cancel(Path("a.jpg")));
  EXPECT_TRUE(debouncer_.TakeReady(start_ + 10s).empty());
  EXPECT_FALSE(debouncer_.NextDeadline());
}

TEST_F(DebouncerTest, VanishedFileDropped) {
  WriteFile(Path("a.jpg"), "abc");
  debouncer_.Touch(Path("a.jpg"), start_);
  std::filesystem::remove(Path("a.jpg"));
  EXPECT_TRUE(debouncer_.TakeReady(start_ + 1s).empty());
  EXPECT_EQ(debouncer_.size(), 0u);
}

TEST_F(DebouncerTest, CancelTree) {
  WriteFile(Path("dir/a.jpg"), "a");
  WriteFile(Path("dir/sub/b.jpg"), "b");
  WriteFile(Path("dir2/c.jpg"), "c");
  for (const char* name : {"dir/a.jpg", "dir/sub/b.jpg", "dir2/c.jpg"}) {
    debouncer_.Touch(Path(name), start_);
  }
  EXPECT_EQ(debouncer_.CancelTree(Path("dir")), 2u);
  EXPECT_EQ(debouncer_.TakeReady(start_ + 1s), std::vector<std::string>{Path("dir2/c.jpg")});
}

TEST_F(DebouncerTest, RenameKeepsTiming) {
  WriteFile(Path("a.jpg"), "abc");
  debouncer_.Touch(Path("a.jpg"), start_);
  std::filesystem::rename(Path("a.jpg"), Path("b.jpg"));
  EXPECT_TRUE(debouncer_.Rename(Path("a.jpg"), Path("b.jpg")));
  EXPECT_FALSE(debouncer_.Rename(Path("missing.jpg"), Path("c.jpg")));
  EXPECT_FALSE(debouncer_.IsPending(Path("a.jpg")));
  EXPECT_TRUE(debouncer_.TakeReady(start_ + 499ms).empty());
  EXPECT_EQ(debouncer_.TakeReady(start_ + 500ms), std::vector<std::string>{Path("b.jpg")});
}

TEST_F(DebouncerTest, RenameTree) {
  WriteFile(Path("clips/x.mp4"), "x");
  WriteFile(Path("clips/deep/y.mp4"), "y");
  WriteFile(Path("clips_extra.mp4"), "z");
  debouncer_.Touch(Path("clips/x.mp4"), start_);
  debouncer_.Touch(Path("clips/deep/y.mp4"), start_);
  debouncer_.Touch(Path("clips_extra.mp4"), start_);  // shares the prefix, not the folder
  std::filesystem::rename(Path("clips"), Path("footage"));
  EXPECT_EQ(debouncer_.RenameTree(Path("clips"), Path("footage")), 2u);
  EXPECT_TRUE(debouncer_.IsPending(Path("footage/x.mp4")));
  EXPECT_TRUE(debouncer_.IsPending(Path("footage/deep/y.mp4")));
  EXPECT_TRUE(debouncer_.IsPending(Path("clips_extra.mp4")));
  EXPECT_FALSE(debouncer_.IsPending(Path("clips/x.mp4")));
  EXPECT_EQ(debouncer_.TakeReady(start_ + 500ms),
            (std::vector<std::string>{Path("clips_extra.mp4"), Path("footage/deep/y.mp4"),
                                      Path("footage/x.mp4")}));
}

TEST_F(DebouncerTest, NextDeadlineIsEarliest) {
  WriteFile(Path("a.jpg"), "a");
  WriteFile(Path("b.jpg"), "b");
  EXPECT_FALSE(debouncer_.NextDeadline());
  debouncer_.Touch(Path("a.jpg"), start_ + 100ms);
  debouncer_.Touch(Path("b.jpg"), start_);
  EXPECT_EQ(debouncer_.NextDeadline(), start_ + 500ms);
}

TEST(Debouncer, ZeroQuietPeriod) {
  msearch::testing::TempDir temp;
  WriteFile(temp / "a.jpg", "abc");
  Debouncer debouncer(std::chrono::milliseconds(0));
  Clock::time_point now = Clock::now();
  debouncer.Touch((temp / "a.jpg").string(), now);
  EXPECT_EQ(debouncer.TakeReady(now).size(), 1u);
}

}  // namespace
}  // namespace msearch::monitor
