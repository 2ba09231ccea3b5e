// Waiting tasks: queued work whose prerequisite (a model) is missing.

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "queue/queue_test_util.h"
#include "queue/task_queue.h"
#include "store/migrations.h"
#include "store/sqlite.h"
#include "support/temp_dir.h"

namespace msearch::queue {
namespace {

using testing::Ids;
using testing::MakeTask;
using testing::UnlimitedOptions;

const std::vector<std::string> kAnyType;

NewTask Waiting(NewTask task, const std::string& key) {
  task.wait = NewTask::Wait{key, "waiting for the image model 'm' to be installed"};
  return task;
}

class TaskQueueWaitTest : public ::testing::Test {
 protected:
  TaskQueue Open(QueueOptions options = UnlimitedOptions()) {
    return TaskQueue(dir_ / "task_queue.db", std::move(options));
  }
  msearch::testing::TempDir dir_;
};

TEST_F(TaskQueueWaitTest, WaitingTasksRunOnceTheWaitEnds) {
  TaskQueue queue = Open();
  NewTask image = Waiting(MakeTask("embed"), "model:image");
  image.dedupe_key = "embed-image:1";
  std::string waiting = queue.Enqueue(image).task_id;
  std::string audio = queue.Enqueue(Waiting(MakeTask("embed"), "model:audio")).task_id;

  std::optional<TaskRecord> record = queue.Get(waiting);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->status, TaskStatus::kWaiting);
  EXPECT_EQ(record->waiting_for, "model:image");
  EXPECT_EQ(record->error, "waiting for the image model 'm' to be installed");
  EXPECT_TRUE(queue.Claim("w1", kAnyType, 10).empty());
  EXPECT_FALSE(queue.HasClaimableWork(kAnyType));
  EXPECT_EQ(queue.Stats().waiting, 2);
  EXPECT_EQ(queue.Stats().by_status["waiting"], 2);
  TaskFilter filter;
  filter.status = TaskStatus::kWaiting;
  EXPECT_EQ(queue.List(filter).total, 2);

  EXPECT_EQ(queue.EndWait("model:image"), 1);
  EXPECT_EQ(queue.EndWait("model:image"), 0);
  record = queue.Get(waiting);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->status, TaskStatus::kPending);
  EXPECT_FALSE(record->error);
  EXPECT_EQ(Ids(queue.Claim("w1", kAnyType, 10)), std::vector<std::string>{waiting});
  EXPECT_EQ(queue.Get(audio)->status, TaskStatus::kWaiting);
}

TEST_F(TaskQueueWaitTest, SameWorkWithoutWaitEndsTheWait) {
  TaskQueue queue = Open();
  NewTask task = MakeTask("embed");
  task.dedupe_key = "embed-image:1";
  std::string waiting = queue.Enqueue(Waiting(task, "model:image")).task_id;

  // Queuing the same work as waiting again still keeps one copy.
  EnqueueResult again = queue.Enqueue(Waiting(task, "model:image"));
  EXPECT_EQ(again.outcome, EnqueueOutcome::kDuplicate);
  EXPECT_EQ(queue.Get(waiting)->status, TaskStatus::kWaiting);

  EnqueueResult ready = queue.Enqueue(task);
  EXPECT_EQ(ready.outcome, EnqueueOutcome::kDuplicate);
  EXPECT_EQ(ready.task_id, waiting);
  EXPECT_EQ(queue.Get(waiting)->status, TaskStatus::kPending);
}

TEST_F(TaskQueueWaitTest, WorkerPutsTaskBackToWaiting) {
  TaskQueue queue = Open();
  NewTask task = MakeTask("embed");
  task.max_attempts = 1;
  std::string id = queue.Enqueue(task).task_id;
  ASSERT_EQ(queue.Claim("w1", kAnyType, 1).size(), 1u);

  EXPECT_FALSE(queue.Wait(id, "w2", {"model:image", "missing"}));  // claimed by w1, not w2
  EXPECT_TRUE(queue.Wait(id, "w1", {"model:image", "the model is gone"}));
  std::optional<TaskRecord> record = queue.Get(id);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->status, TaskStatus::kWaiting);
  EXPECT_EQ(record->attempts, 0);  // the attempt that found no model does not count
  EXPECT_EQ(record->error, "the model is gone");

  ASSERT_EQ(queue.EndWait("model:image"), 1);
  std::vector<ClaimedTask> claimed = queue.Claim("w1", kAnyType, 1);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].attempt, 1);
  EXPECT_TRUE(queue.Complete(id, "w1"));
}

TEST_F(TaskQueueWaitTest, WaitingTasksCancelAndSkipSizeCap) {
  QueueOptions options = UnlimitedOptions();
  options.max_size = 1;
  TaskQueue queue = Open(options);
  ASSERT_EQ(queue.Enqueue(MakeTask("probe")).outcome, EnqueueOutcome::kEnqueued);
  EXPECT_EQ(queue.Enqueue(MakeTask("probe")).outcome, EnqueueOutcome::kRejectedFull);
  EnqueueResult waiting = queue.Enqueue(Waiting(MakeTask("embed"), "model:image"));
  ASSERT_EQ(waiting.outcome, EnqueueOutcome::kEnqueued);

  EXPECT_TRUE(queue.Cancel(waiting.task_id));
  EXPECT_EQ(queue.Get(waiting.task_id)->status, TaskStatus::kCancelled);
  EXPECT_EQ(queue.EndWait("model:image"), 0);
}

TEST_F(TaskQueueWaitTest, FindsTasksByDataKey) {
  TaskQueue queue = Open();
  std::string with = queue.Enqueue(MakeTask("embed", 8, {{"blocks", {"/a-1-1"}}})).task_id;
  queue.Enqueue(MakeTask("embed", 8, {{"file_id", 1}}));
  queue.Enqueue(MakeTask("probe", 8, {{"blocks", {"/a-1-2"}}}));
  std::vector<TaskRecord> found = queue.TasksWithDataKey("embed", "blocks", 0);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, with);
  EXPECT_THROW(queue.TasksWithDataKey("embed", "a.b", 0), Error);
}

TEST_F(TaskQueueWaitTest, ListsDedupeKeysOfProcessingTasks) {
  TaskQueue queue = Open();
  NewTask running = MakeTask("embed");
  running.dedupe_key = "embed-video:1";
  queue.Enqueue(running);
  ASSERT_EQ(queue.Claim("w1", kAnyType, 1).size(), 1u);
  NewTask pending = MakeTask("embed");
  pending.dedupe_key = "embed-video:2";
  queue.Enqueue(pending);
  NewTask other_type = MakeTask("probe");
  other_type.dedupe_key = "probe:3";
  queue.Enqueue(other_type);
  ASSERT_EQ(queue.Claim("w1", kAnyType, 1).size(), 1u);  // embed-video:2

  EXPECT_EQ(queue.ProcessingDedupeKeys("embed"),
            (std::set<std::string>{"embed-video:1", "embed-video:2"}));
  EXPECT_TRUE(queue.ProcessingDedupeKeys("thumbnail").empty());
}

// A queue file of schema version 1, as an earlier msearch left it, keeps its
// tasks when the waiting status is added.
TEST_F(TaskQueueWaitTest, MigratesVersionOneQueues) {
  {
    store::Database db(dir_ / "task_queue.db", store::Database::Options{});
    db.Execute(R"sql(
CREATE TABLE tasks (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, data TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 6 CHECK (priority BETWEEN 0 AND 11),
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
  created_at REAL NOT NULL, updated_at REAL NOT NULL, started_at REAL, completed_at REAL,
  worker_id TEXT, result TEXT, error TEXT, sender TEXT NOT NULL DEFAULT '',
  sender_type TEXT NOT NULL DEFAULT '', dedupe_key TEXT, scope TEXT, file_path TEXT,
  tags TEXT NOT NULL DEFAULT '[]', attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 3, not_before REAL NOT NULL DEFAULT 0,
  lease_expires_at REAL, paused INTEGER NOT NULL DEFAULT 0, progress REAL NOT NULL DEFAULT 0,
  archived INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX tasks_pending_dedupe ON tasks (type, dedupe_key)
  WHERE status = 'pending' AND dedupe_key IS NOT NULL;
CREATE TABLE queue_pauses (scope TEXT PRIMARY KEY, paused_at REAL NOT NULL);
INSERT INTO tasks (id, type, data, created_at, updated_at, dedupe_key)
  VALUES ('old-task', 'probe', '{"file_id": 4}', 1, 1, 'probe:4');
PRAGMA user_version = 1;
)sql");
  }
  TaskQueue queue = Open();
  EXPECT_EQ(store::SchemaVersion(queue.database()), 2);
  std::vector<ClaimedTask> claimed = queue.Claim("w1", kAnyType, 1);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, "old-task");
  EXPECT_EQ(claimed[0].data["file_id"], 4);
  EXPECT_EQ(queue.Enqueue(Waiting(MakeTask("embed"), "model:image")).outcome,
            EnqueueOutcome::kEnqueued);
}

}  // namespace
}  // namespace msearch::queue
