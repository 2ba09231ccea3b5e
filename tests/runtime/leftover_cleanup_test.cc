#include "runtime/leftover_cleanup.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "ipc/shared_buffer.h"
#include "queue/task_queue.h"
#include "shared_memory_util.h"
#include "support/temp_dir.h"

namespace msearch::runtime {
namespace {

namespace fs = std::filesystem;

void Touch(const fs::path& path) {
  fs::create_directories(path.parent_path());
  FILE* file = std::fopen(path.c_str(), "w");
  ASSERT_NE(file, nullptr) << path;
  std::fputs("jpeg bytes", file);
  std::fclose(file);
}

using msearch::testing::BlockOfKilledChild;
using msearch::testing::ShmExists;

queue::TaskQueue OpenQueue(const config::Config& config) {
  return queue::TaskQueue(config.ipc.task_queue.path, queue::QueueOptions{});
}

TEST(LeftoverCleanup, RemovesUnfinishedThumbnailsAndOrphanBlocks) {
  testing::TempDir temp;
  config::Config config = config::DefaultConfig(temp.path());
  const fs::path thumbnails = config.storage.thumbnail_dir;
  Touch(thumbnails / "ab/abcd.jpg");
  Touch(thumbnails / "ab/abcd.jpg.tmp-1b2c");
  Touch(thumbnails / "ab/abcd/segment_0003.jpg.tmp-77");
  Touch(thumbnails / "ab/abcd/segment_0002.jpg");
  std::string orphan = BlockOfKilledChild(SharedBufferPrefixFor(config));
  config::Config other = config::DefaultConfig(temp / "other");
  std::string other_instance = BlockOfKilledChild(SharedBufferPrefixFor(other));
  ASSERT_TRUE(ShmExists(orphan));
  ASSERT_NE(SharedBufferPrefixFor(config), SharedBufferPrefixFor(other));

  fs::create_directories(config.ipc.task_queue.path.parent_path());
  queue::TaskQueue queue = OpenQueue(config);
  LeftoverCounts counts = RemoveLeftovers(config, queue);

  EXPECT_EQ(counts.temporary_files, 2);
  EXPECT_EQ(counts.shared_buffers, 1);
  EXPECT_TRUE(fs::exists(thumbnails / "ab/abcd.jpg"));
  EXPECT_TRUE(fs::exists(thumbnails / "ab/abcd/segment_0002.jpg"));
  EXPECT_FALSE(fs::exists(thumbnails / "ab/abcd.jpg.tmp-1b2c"));
  EXPECT_FALSE(fs::exists(thumbnails / "ab/abcd/segment_0003.jpg.tmp-77"));
  EXPECT_FALSE(ShmExists(orphan));
  EXPECT_TRUE(ShmExists(other_instance));  // another instance's block
  ipc::SharedBuffer::Unlink(other_instance);
}

TEST(LeftoverCleanup, MissingThumbnailFolderIsFine) {
  testing::TempDir temp;
  config::Config config = config::DefaultConfig(temp.path());
  fs::create_directories(config.ipc.task_queue.path.parent_path());
  queue::TaskQueue queue = OpenQueue(config);
  LeftoverCounts counts = RemoveLeftovers(config, queue);
  EXPECT_EQ(counts.temporary_files, 0);
}

// Creates a block owned by this live process, as a task worker does.
std::string LiveBlock(const std::string& prefix) {
  return ipc::SharedBuffer::Create(prefix, 4096).name();
}

queue::NewTask EmbedTaskNaming(const std::string& block, const std::string& key) {
  queue::NewTask task;
  task.type = "embed";
  task.data = {{"file_id", 1}, {"modality", "video"}, {"blocks", {block}}};
  task.dedupe_key = key;
  return task;
}

class HandoffSweep : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = config::DefaultConfig(temp_.path());
    fs::create_directories(config_.ipc.task_queue.path.parent_path());
    prefix_ = SharedBufferPrefixFor(config_);
    // Blocks of an earlier failed run of this test would be counted.
    for (const std::string& name : msearch::testing::ShmBlocks(prefix_)) {
      ipc::SharedBuffer::Unlink(name);
    }
  }
  void TearDown() override {
    for (const std::string& name : msearch::testing::ShmBlocks(prefix_)) {
      ipc::SharedBuffer::Unlink(name);
    }
  }

  testing::TempDir temp_;
  config::Config config_;
  std::string prefix_;
};

TEST_F(HandoffSweep, KeepsBlocksOfQueuedTasksOnly) {
  queue::TaskQueue queue = OpenQueue(config_);
  const std::string pending = LiveBlock(prefix_);
  const std::string processing = LiveBlock(prefix_);
  const std::string completed = LiveBlock(prefix_);
  const std::string cancelled = LiveBlock(prefix_);
  const std::string filling = LiveBlock(prefix_);  // no task names it yet
  const std::string orphan = BlockOfKilledChild(prefix_);

  queue.Enqueue(EmbedTaskNaming(processing, "a"));
  ASSERT_EQ(queue.Claim("w1", {}, 1).size(), 1u);
  queue.Enqueue(EmbedTaskNaming(completed, "b"));
  std::vector<queue::ClaimedTask> claimed = queue.Claim("w1", {}, 1);
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_TRUE(queue.Complete(claimed[0].id, "w1"));
  queue::EnqueueResult to_cancel = queue.Enqueue(EmbedTaskNaming(cancelled, "c"));
  ASSERT_TRUE(queue.Cancel(to_cancel.task_id));
  queue.Enqueue(EmbedTaskNaming(pending, "d"));

  int removed = SweepHandoffBlocks(prefix_, queue, HandoffSweepOptionsFor(config_));

  EXPECT_EQ(removed, 3);
  EXPECT_TRUE(ShmExists(pending));
  EXPECT_TRUE(ShmExists(processing));
  EXPECT_TRUE(ShmExists(filling));
  EXPECT_FALSE(ShmExists(completed));
  EXPECT_FALSE(ShmExists(cancelled));
  EXPECT_FALSE(ShmExists(orphan));
}

TEST_F(HandoffSweep, RemovesBlocksThatWaitedTooLong) {
  queue::TaskQueue queue = OpenQueue(config_);
  const std::string pending = LiveBlock(prefix_);
  const std::string processing = LiveBlock(prefix_);
  const std::string filling = LiveBlock(prefix_);
  queue.Enqueue(EmbedTaskNaming(processing, "a"));
  ASSERT_EQ(queue.Claim("w1", {}, 1).size(), 1u);
  queue.Enqueue(EmbedTaskNaming(pending, "b"));

  // Bounds below zero make every block too old, without waiting.
  HandoffSweepOptions options = HandoffSweepOptionsFor(config_);
  options.max_wait_seconds = -1;
  options.producer_grace_seconds = -1;
  EXPECT_EQ(SweepHandoffBlocks(prefix_, queue, options), 2);

  EXPECT_FALSE(ShmExists(pending));
  EXPECT_FALSE(ShmExists(filling));
  EXPECT_TRUE(ShmExists(processing));  // its worker may be reading it
}

TEST_F(HandoffSweep, AtStartKeepsOnlyBlocksOfQueuedTasks) {
  queue::TaskQueue queue = OpenQueue(config_);
  const std::string queued = LiveBlock(prefix_);
  const std::string unnamed = LiveBlock(prefix_);
  queue.Enqueue(EmbedTaskNaming(queued, "a"));

  LeftoverCounts counts = RemoveLeftovers(config_, queue);

  EXPECT_EQ(counts.shared_buffers, 1);
  EXPECT_TRUE(ShmExists(queued));
  EXPECT_FALSE(ShmExists(unnamed));
}

TEST(LeftoverCleanup, KeepsThumbnailsBeingWritten) {
  testing::TempDir temp;
  Touch(temp / "ab/fresh.jpg.tmp-1");
  EXPECT_EQ(RemoveTemporaryThumbnails(temp.path(), 60), 0);
  EXPECT_TRUE(fs::exists(temp / "ab/fresh.jpg.tmp-1"));
  EXPECT_EQ(RemoveTemporaryThumbnails(temp.path(), -1), 1);
}

}  // namespace
}  // namespace msearch::runtime
