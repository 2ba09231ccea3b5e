#include "queue/task_queue.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "common/error.h"
#include "queue/queue_test_util.h"
#include "queue/task.h"
#include "store/migrations.h"
#include "support/temp_dir.h"

namespace msearch::queue {
namespace {

using testing::Ids;
using testing::MakeTask;
using testing::ManualClock;
using testing::UnlimitedOptions;

const std::vector<std::string> kAnyType;

class TaskQueueTest : public ::testing::Test {
 protected:
  TaskQueue Open(QueueOptions options = UnlimitedOptions()) {
    return TaskQueue(dir_ / "task_queue.db", std::move(options));
  }

  std::string EnqueueId(TaskQueue& queue, const NewTask& task) {
    EnqueueResult result = queue.Enqueue(task);
    EXPECT_EQ(result.outcome, EnqueueOutcome::kEnqueued);
    return result.task_id;
  }

  msearch::testing::TempDir dir_;
};

TEST_F(TaskQueueTest, ClaimsInPriorityOrder) {
  TaskQueue queue = Open();
  std::string p5 = EnqueueId(queue, MakeTask("probe", 5));
  std::string p0 = EnqueueId(queue, MakeTask("probe", 0));
  std::string p11 = EnqueueId(queue, MakeTask("probe", 11));
  std::string p3 = EnqueueId(queue, MakeTask("probe", 3));

  std::vector<ClaimedTask> claimed = queue.Claim("w1", kAnyType, 10);
  EXPECT_EQ(Ids(claimed), (std::vector<std::string>{p0, p3, p5, p11}));
  EXPECT_EQ(claimed[0].priority, 0);
  EXPECT_EQ(claimed[3].priority, 11);
}

TEST_F(TaskQueueTest, FifoWithinPriority) {
  TaskQueue queue = Open();
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(EnqueueId(queue, MakeTask("probe", 4, {{"n", i}})));

  for (int i = 0; i < 6; ++i) {
    std::vector<ClaimedTask> claimed = queue.Claim("w1", kAnyType, 1);
    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed[0].id, ids[i]);
    EXPECT_EQ(claimed[0].data["n"], i);
  }
  EXPECT_TRUE(queue.Claim("w1", kAnyType, 1).empty());
}

TEST_F(TaskQueueTest, ClaimReturnsTaskFields) {
  TaskQueue queue = Open();
  NewTask task = MakeTask("thumbnail", 9, {{"path", "/media/a.jpg"}, {"size", 256}});
  task.scope = "dir:3";
  task.file_path = "/media/a.jpg";
  task.dedupe_key = "thumb:/media/a.jpg";
  task.max_attempts = 7;
  std::string id = EnqueueId(queue, task);

  std::vector<ClaimedTask> claimed = queue.Claim("w1", kAnyType, 1);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, id);
  EXPECT_EQ(claimed[0].type, "thumbnail");
  EXPECT_EQ(claimed[0].data["path"], "/media/a.jpg");
  EXPECT_EQ(claimed[0].data["size"], 256);
  EXPECT_EQ(claimed[0].attempt, 1);
  EXPECT_EQ(claimed[0].max_attempts, 7);
  EXPECT_EQ(claimed[0].scope, "dir:3");
  EXPECT_EQ(claimed[0].file_path, "/media/a.jpg");
  EXPECT_EQ(claimed[0].dedupe_key, "thumb:/media/a.jpg");

  std::optional<TaskRecord> record = queue.Get(id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->status, TaskStatus::kProcessing);
  EXPECT_EQ(record->worker_id, "w1");
  EXPECT_EQ(record->attempts, 1);
  EXPECT_TRUE(record->started_at);
  EXPECT_TRUE(record->lease_expires_at);
}

TEST_F(TaskQueueTest, ClaimFiltersByType) {
  TaskQueue queue = Open();
  EnqueueId(queue, MakeTask("embed", 0));
  std::string probe = EnqueueId(queue, MakeTask("probe", 8));

  const std::vector<std::string> probe_only = {"probe"};
  std::vector<ClaimedTask> claimed = queue.Claim("w1", probe_only, 10);
  EXPECT_EQ(Ids(claimed), std::vector<std::string>{probe});
  EXPECT_FALSE(queue.HasClaimableWork(probe_only));
  EXPECT_TRUE(queue.HasClaimableWork(kAnyType));
}

TEST_F(TaskQueueTest, DedupeSkipsPendingDuplicate) {
  TaskQueue queue = Open();
  NewTask task = MakeTask("probe");
  task.dedupe_key = "probe:/a.mp4";
  std::string first = EnqueueId(queue, task);

  EnqueueResult again = queue.Enqueue(task);
  EXPECT_EQ(again.outcome, EnqueueOutcome::kDuplicate);
  EXPECT_EQ(again.task_id, first);
  EXPECT_EQ(queue.Stats().pending, 1);

  // The same key under another type is other work.
  NewTask thumbnail = task;
  thumbnail.type = "thumbnail";
  EXPECT_EQ(queue.Enqueue(thumbnail).outcome, EnqueueOutcome::kEnqueued);
}

TEST_F(TaskQueueTest, DedupeAllowsRequeueWhileRunning) {
  TaskQueue queue = Open();
  NewTask task = MakeTask("probe");
  task.dedupe_key = "probe:/a.mp4";
  std::string first = EnqueueId(queue, task);
  const std::vector<std::string> probe_only = {"probe"};
  ASSERT_EQ(queue.Claim("w1", probe_only, 1).size(), 1u);

  EnqueueResult second = queue.Enqueue(task);
  EXPECT_EQ(second.outcome, EnqueueOutcome::kEnqueued);
  EXPECT_NE(second.task_id, first);

  EnqueueResult third = queue.Enqueue(task);
  EXPECT_EQ(third.outcome, EnqueueOutcome::kDuplicate);
  EXPECT_EQ(third.task_id, second.task_id);
}

TEST_F(TaskQueueTest, DuplicateRaisesPriority) {
  TaskQueue queue = Open();
  NewTask task = MakeTask("probe", 8);
  task.dedupe_key = "k";
  std::string id = EnqueueId(queue, task);

  task.priority = 10;
  EXPECT_EQ(queue.Enqueue(task).outcome, EnqueueOutcome::kDuplicate);
  EXPECT_EQ(queue.Get(id)->priority, 8);

  task.priority = 2;
  EXPECT_EQ(queue.Enqueue(task).outcome, EnqueueOutcome::kDuplicate);
  EXPECT_EQ(queue.Get(id)->priority, 2);
}

TEST_F(TaskQueueTest, FullQueueRejectsUntilClaimed) {
  QueueOptions options = UnlimitedOptions();
  options.max_size = 3;
  TaskQueue queue = Open(options);
  NewTask keyed = MakeTask("probe");
  keyed.dedupe_key = "keyed";
  std::string keyed_id = EnqueueId(queue, keyed);
  EnqueueId(queue, MakeTask("probe"));
  EnqueueId(queue, MakeTask("probe"));

  EnqueueResult rejected = queue.Enqueue(MakeTask("probe"));
  EXPECT_EQ(rejected.outcome, EnqueueOutcome::kRejectedFull);
  EXPECT_TRUE(rejected.task_id.empty());
  EXPECT_EQ(queue.Stats().pending, 3);

  // A duplicate is still recognised while full.
  EnqueueResult duplicate = queue.Enqueue(keyed);
  EXPECT_EQ(duplicate.outcome, EnqueueOutcome::kDuplicate);
  EXPECT_EQ(duplicate.task_id, keyed_id);

  ASSERT_EQ(queue.Claim("w1", kAnyType, 1).size(), 1u);
  EXPECT_EQ(queue.Enqueue(MakeTask("probe")).outcome, EnqueueOutcome::kEnqueued);
  EXPECT_EQ(queue.Enqueue(MakeTask("probe")).outcome, EnqueueOutcome::kRejectedFull);
}

TEST_F(TaskQueueTest, BatchOfTenThousandInOneCommit) {
  QueueOptions options = UnlimitedOptions();
  options.max_size = 0;
  TaskQueue queue = Open(options);
  std::vector<NewTask> batch;
  for (int i = 0; i < 10000; ++i) {
    NewTask task = MakeTask("probe", i % 12, {{"n", i}});
    task.dedupe_key = "file:" + std::to_string(i);
    batch.push_back(std::move(task));
  }
  NewTask repeated = batch[17];
  batch.push_back(repeated);

  int commits = 0;
  sqlite3_commit_hook(
      queue.database().handle(),
      [](void* counter) {
        ++*static_cast<int*>(counter);
        return 0;
      },
      &commits);
  std::vector<EnqueueResult> results = queue.EnqueueBatch(batch);
  sqlite3_commit_hook(queue.database().handle(), nullptr, nullptr);

  EXPECT_EQ(commits, 1);
  ASSERT_EQ(results.size(), 10001u);
  std::set<std::string> ids;
  for (size_t i = 0; i < 10000; ++i) {
    EXPECT_EQ(results[i].outcome, EnqueueOutcome::kEnqueued);
    ids.insert(results[i].task_id);
  }
  EXPECT_EQ(ids.size(), 10000u);
  EXPECT_EQ(results[10000].outcome, EnqueueOutcome::kDuplicate);
  EXPECT_EQ(results[10000].task_id, results[17].task_id);
  EXPECT_EQ(queue.Stats().pending, 10000);
}

TEST_F(TaskQueueTest, BatchRespectsMaxSize) {
  QueueOptions options = UnlimitedOptions();
  options.max_size = 5;
  TaskQueue queue = Open(options);
  std::vector<NewTask> batch(8, MakeTask("probe"));
  std::vector<EnqueueResult> results = queue.EnqueueBatch(batch);
  ASSERT_EQ(results.size(), 8u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(results[i].outcome, EnqueueOutcome::kEnqueued);
  for (size_t i = 5; i < 8; ++i) EXPECT_EQ(results[i].outcome, EnqueueOutcome::kRejectedFull);
  EXPECT_EQ(queue.Stats().pending, 5);
}

TEST_F(TaskQueueTest, InvalidTaskThrowsAndStoresNothing) {
  TaskQueue queue = Open();
  EXPECT_THROW(queue.Enqueue(MakeTask("probe", 12)), Error);
  EXPECT_THROW(queue.Enqueue(MakeTask("probe", -1)), Error);
  EXPECT_THROW(queue.Enqueue(MakeTask("")), Error);
  NewTask no_attempts = MakeTask("probe");
  no_attempts.max_attempts = 0;
  EXPECT_THROW(queue.Enqueue(no_attempts), Error);

  std::vector<NewTask> batch = {MakeTask("probe"), MakeTask("probe", 40)};
  EXPECT_THROW(queue.EnqueueBatch(batch), Error);
  EXPECT_EQ(queue.Stats().pending, 0);
}

TEST_F(TaskQueueTest, InvalidUtf8PayloadIsReplaced) {
  TaskQueue queue = Open();
  std::string broken_name = "clip-\xff\xfe.mp4";
  std::string id = EnqueueId(queue, MakeTask("probe", 5, {{"path", broken_name}}));
  std::vector<ClaimedTask> claimed = queue.Claim("w1", kAnyType, 1);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, id);
  // Each invalid byte becomes U+FFFD.
  EXPECT_EQ(claimed[0].data["path"], "clip-\xef\xbf\xbd\xef\xbf\xbd.mp4");
}

TEST_F(TaskQueueTest, InvalidOptionsThrow) {
  QueueOptions no_lease;
  no_lease.lease_seconds = 0;
  EXPECT_THROW(Open(no_lease), Error);
  QueueOptions no_attempts;
  no_attempts.max_attempts = 0;
  EXPECT_THROW(Open(no_attempts), Error);
  QueueOptions inverted_retry;
  inverted_retry.retry_base_seconds = 10;
  inverted_retry.retry_max_seconds = 5;
  EXPECT_THROW(Open(inverted_retry), Error);
  QueueOptions negative_limit;
  negative_limit.type_running_limits["embed"] = -1;
  EXPECT_THROW(Open(negative_limit), Error);
}

TEST_F(TaskQueueTest, GlobalPauseStopsClaims) {
  TaskQueue queue = Open();
  std::string id = EnqueueId(queue, MakeTask("probe"));
  queue.PauseAll();
  EXPECT_TRUE(queue.IsPaused());
  EXPECT_TRUE(queue.Claim("w1", kAnyType, 5).empty());
  EXPECT_FALSE(queue.HasClaimableWork(kAnyType));
  EXPECT_TRUE(queue.Stats().paused_all);

  // The pause is stored in the file, so a second connection finds it too.
  TaskQueue other = Open();
  EXPECT_TRUE(other.IsPaused());
  EXPECT_TRUE(other.Claim("w2", kAnyType, 5).empty());

  queue.ResumeAll();
  EXPECT_FALSE(queue.IsPaused());
  EXPECT_EQ(Ids(other.Claim("w2", kAnyType, 5)), std::vector<std::string>{id});
}

TEST_F(TaskQueueTest, ScopePauseSkipsOnlyThatScope) {
  TaskQueue queue = Open();
  NewTask in_dir1 = MakeTask("probe", 0);
  in_dir1.scope = "dir:1";
  NewTask in_dir2 = MakeTask("probe", 5);
  in_dir2.scope = "dir:2";
  std::string a = EnqueueId(queue, in_dir1);
  std::string b = EnqueueId(queue, in_dir2);
  std::string unscoped = EnqueueId(queue, MakeTask("probe", 9));

  queue.PauseScope("dir:1");
  EXPECT_TRUE(queue.IsScopePaused("dir:1"));
  EXPECT_FALSE(queue.IsScopePaused("dir:2"));
  EXPECT_EQ(queue.Stats().paused_scopes, std::vector<std::string>{"dir:1"});
  EXPECT_EQ(Ids(queue.Claim("w1", kAnyType, 5)), (std::vector<std::string>{b, unscoped}));

  queue.ResumeScope("dir:1");
  EXPECT_EQ(Ids(queue.Claim("w1", kAnyType, 5)), std::vector<std::string>{a});
  EXPECT_THROW(queue.PauseScope(""), Error);
}

TEST_F(TaskQueueTest, TaskPauseSkipsThatTask) {
  TaskQueue queue = Open();
  std::string a = EnqueueId(queue, MakeTask("probe", 1));
  std::string b = EnqueueId(queue, MakeTask("probe", 2));

  EXPECT_TRUE(queue.Pause(a));
  EXPECT_TRUE(queue.Get(a)->paused);
  EXPECT_EQ(queue.Get(a)->status, TaskStatus::kPending);
  EXPECT_EQ(Ids(queue.Claim("w1", kAnyType, 5)), std::vector<std::string>{b});
  EXPECT_FALSE(queue.HasClaimableWork(kAnyType));

  EXPECT_TRUE(queue.Resume(a));
  EXPECT_EQ(Ids(queue.Claim("w1", kAnyType, 5)), std::vector<std::string>{a});
  EXPECT_FALSE(queue.Pause("no-such-task"));
}

TEST_F(TaskQueueTest, SetPriorityReorders) {
  TaskQueue queue = Open();
  std::string a = EnqueueId(queue, MakeTask("probe", 5));
  std::string b = EnqueueId(queue, MakeTask("probe", 5));
  std::string c = EnqueueId(queue, MakeTask("probe", 5));

  EXPECT_TRUE(queue.SetPriority(c, 1));
  EXPECT_TRUE(queue.SetPriority(a, 11));
  EXPECT_EQ(Ids(queue.Claim("w1", kAnyType, 5)), (std::vector<std::string>{c, b, a}));

  EXPECT_THROW(queue.SetPriority(a, 12), Error);
  EXPECT_FALSE(queue.SetPriority("no-such-task", 3));
}

TEST_F(TaskQueueTest, GlobalRunningLimit) {
  QueueOptions options = UnlimitedOptions();
  options.global_running_limit = 2;
  TaskQueue queue = Open(options);
  for (int i = 0; i < 5; ++i) EnqueueId(queue, MakeTask("probe"));

  std::vector<ClaimedTask> first = queue.Claim("w1", kAnyType, 5);
  EXPECT_EQ(first.size(), 2u);
  // The limit counts tasks of every worker.
  TaskQueue other = Open(options);
  EXPECT_TRUE(other.Claim("w2", kAnyType, 5).empty());
  EXPECT_FALSE(other.HasClaimableWork(kAnyType));

  ASSERT_TRUE(queue.Complete(first[0].id, "w1"));
  EXPECT_EQ(other.Claim("w2", kAnyType, 5).size(), 1u);
  EXPECT_EQ(queue.Stats().running, 2);
}

TEST_F(TaskQueueTest, TypeRunningLimit) {
  QueueOptions options = UnlimitedOptions();
  options.type_running_limits = {{"embed", 1}};
  TaskQueue queue = Open(options);
  std::string embed1 = EnqueueId(queue, MakeTask("embed", 0));
  EnqueueId(queue, MakeTask("embed", 0));
  EnqueueId(queue, MakeTask("embed", 0));
  std::string probe1 = EnqueueId(queue, MakeTask("probe", 7));
  std::string probe2 = EnqueueId(queue, MakeTask("probe", 7));

  // The batch skips the blocked embed tasks and fills up with probes.
  std::vector<ClaimedTask> claimed = queue.Claim("w1", kAnyType, 10);
  EXPECT_EQ(Ids(claimed), (std::vector<std::string>{embed1, probe1, probe2}));

  const std::vector<std::string> embed_only = {"embed"};
  EXPECT_TRUE(queue.Claim("w2", embed_only, 10).empty());
  EXPECT_FALSE(queue.HasClaimableWork(embed_only));
  ASSERT_TRUE(queue.Complete(embed1, "w1"));
  EXPECT_EQ(queue.Claim("w2", embed_only, 10).size(), 1u);
}

TEST_F(TaskQueueTest, CancelPendingAndProcessing) {
  TaskQueue queue = Open();
  std::string pending = EnqueueId(queue, MakeTask("probe", 9));
  std::string running = EnqueueId(queue, MakeTask("probe", 0));
  ASSERT_EQ(Ids(queue.Claim("w1", kAnyType, 1)), std::vector<std::string>{running});

  EXPECT_TRUE(queue.Cancel(pending));
  EXPECT_TRUE(queue.Cancel(running));
  EXPECT_EQ(queue.Get(pending)->status, TaskStatus::kCancelled);
  EXPECT_EQ(queue.Get(running)->status, TaskStatus::kCancelled);

  // The worker learns of it from its lease and cannot complete it.
  EXPECT_FALSE(queue.ExtendLease(running, "w1"));
  EXPECT_FALSE(queue.Complete(running, "w1"));
  EXPECT_FALSE(queue.Fail(running, "w1", "boom"));
  EXPECT_EQ(queue.Get(running)->status, TaskStatus::kCancelled);
  EXPECT_FALSE(queue.Cancel(running));
  EXPECT_TRUE(queue.Claim("w1", kAnyType, 5).empty());
}

TEST_F(TaskQueueTest, CancelAllCounts) {
  TaskQueue queue = Open();
  for (int i = 0; i < 3; ++i) EnqueueId(queue, MakeTask("probe", 0));
  for (int i = 0; i < 2; ++i) EnqueueId(queue, MakeTask("embed", 5));
  const std::vector<std::string> probe_only = {"probe"};
  ASSERT_EQ(queue.Claim("w1", probe_only, 1).size(), 1u);

  CancelCounts probes = queue.CancelAll(false, std::string("probe"));
  EXPECT_EQ(probes.total, 3);
  EXPECT_EQ(probes.cancelled, 2);
  EXPECT_EQ(probes.failed, 1);
  EXPECT_EQ(queue.Stats().by_type_and_status["embed"]["pending"], 2);

  CancelCounts everything = queue.CancelAll(true, std::nullopt);
  EXPECT_EQ(everything.total, 3);
  EXPECT_EQ(everything.cancelled, 3);
  EXPECT_EQ(everything.failed, 0);
  EXPECT_EQ(queue.Stats().by_status["cancelled"], 5);
}

TEST_F(TaskQueueTest, RetryResetsFailedTask) {
  TaskQueue queue = Open();
  std::string id = EnqueueId(queue, MakeTask("probe"));
  ASSERT_EQ(queue.Claim("w1", kAnyType, 1).size(), 1u);
  ASSERT_TRUE(queue.Fail(id, "w1", "decoder crashed", /*retryable=*/false));
  EXPECT_EQ(queue.Get(id)->status, TaskStatus::kFailed);

  EXPECT_TRUE(queue.Retry(id));
  std::optional<TaskRecord> record = queue.Get(id);
  EXPECT_EQ(record->status, TaskStatus::kPending);
  EXPECT_EQ(record->attempts, 0);
  EXPECT_FALSE(record->error);
  EXPECT_FALSE(queue.Retry(id));  // pending, not failed
  EXPECT_EQ(Ids(queue.Claim("w1", kAnyType, 1)), std::vector<std::string>{id});
}

TEST_F(TaskQueueTest, RetryRefusedWhenDuplicatePending) {
  TaskQueue queue = Open();
  NewTask task = MakeTask("probe");
  task.dedupe_key = "k";
  std::string first = EnqueueId(queue, task);
  ASSERT_TRUE(queue.Cancel(first));
  std::string second = EnqueueId(queue, task);
  EXPECT_FALSE(queue.Retry(first));
  EXPECT_EQ(queue.Get(first)->status, TaskStatus::kCancelled);
  EXPECT_EQ(queue.Get(second)->status, TaskStatus::kPending);
}

TEST_F(TaskQueueTest, ArchiveAndPurge) {
  ManualClock clock;
  QueueOptions options = UnlimitedOptions();
  options.clock = clock.AsFunction();
  TaskQueue queue = Open(options);
  std::string done = EnqueueId(queue, MakeTask("probe"));
  std::string failed = EnqueueId(queue, MakeTask("probe"));
  std::string cancelled = EnqueueId(queue, MakeTask("probe"));
  std::string waiting = EnqueueId(queue, MakeTask("probe"));
  ASSERT_EQ(queue.Claim("w1", kAnyType, 2).size(), 2u);
  ASSERT_TRUE(queue.Complete(done, "w1", {{"ok", true}}));
  ASSERT_TRUE(queue.Fail(failed, "w1", "bad file", false));
  ASSERT_TRUE(queue.Cancel(cancelled));
  EXPECT_FALSE(queue.Archive(waiting));

  clock.Advance(100);
  EXPECT_EQ(queue.ArchiveCompleted(50), 1);
  EXPECT_TRUE(queue.Get(done)->archived);
  EXPECT_EQ(queue.List({}).total, 3);
  TaskFilter with_archived;
  with_archived.include_archived = true;
  EXPECT_EQ(queue.List(with_archived).total, 4);
  EXPECT_EQ(queue.Stats().by_status["completed"], 0);

  // Purge keeps failed and cancelled tasks until they are archived.
  EXPECT_EQ(queue.Purge(50), 1);
  EXPECT_FALSE(queue.Get(done));
  EXPECT_TRUE(queue.Get(failed));
  EXPECT_TRUE(queue.Archive(failed));
  EXPECT_EQ(queue.Purge(50), 1);
  EXPECT_FALSE(queue.Get(failed));
  EXPECT_TRUE(queue.Get(cancelled));
  EXPECT_TRUE(queue.Get(waiting));
}

TEST_F(TaskQueueTest, GetReturnsAllColumns) {
  ManualClock clock;
  QueueOptions options = UnlimitedOptions();
  options.clock = clock.AsFunction();
  TaskQueue queue = Open(options);
  NewTask task = MakeTask("probe", 3, {{"path", "/m/x.mp4"}});
  task.sender = "file_monitor";
  task.sender_type = "monitor";
  task.file_path = "/m/x.mp4";
  task.tags = {"video", "rescan"};
  std::string id = EnqueueId(queue, task);

  clock.Advance(2);
  ASSERT_EQ(queue.Claim("w1", kAnyType, 1).size(), 1u);
  ASSERT_TRUE(queue.Progress(id, "w1", 0.5));
  EXPECT_DOUBLE_EQ(queue.Get(id)->progress, 0.5);
  ASSERT_TRUE(queue.Progress(id, "w1", 7.0));
  EXPECT_DOUBLE_EQ(queue.Get(id)->progress, 1.0);
  clock.Advance(3);
  ASSERT_TRUE(queue.Complete(id, "w1", {{"duration", 12.5}}));

  std::optional<TaskRecord> record = queue.Get(id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->type, "probe");
  EXPECT_EQ(record->data["path"], "/m/x.mp4");
  EXPECT_EQ(record->priority, 3);
  EXPECT_EQ(record->status, TaskStatus::kCompleted);
  EXPECT_EQ(record->sender, "file_monitor");
  EXPECT_EQ(record->sender_type, "monitor");
  EXPECT_EQ(record->file_path, "/m/x.mp4");
  EXPECT_EQ(record->tags, (std::vector<std::string>{"video", "rescan"}));
  EXPECT_EQ(record->worker_id, "w1");
  ASSERT_TRUE(record->result);
  EXPECT_EQ((*record->result)["duration"], 12.5);
  EXPECT_DOUBLE_EQ(record->created_at, 1'000'000.0);
  EXPECT_DOUBLE_EQ(*record->started_at, 1'000'002.0);
  EXPECT_DOUBLE_EQ(*record->completed_at, 1'000'005.0);
  EXPECT_DOUBLE_EQ(*record->Duration(), 3.0);
  EXPECT_FALSE(record->lease_expires_at);
  EXPECT_FALSE(queue.Get("no-such-task"));
}

TEST_F(TaskQueueTest, ListFiltersAndPages) {
  TaskQueue queue = Open();
  std::vector<std::string> probes;
  for (int i = 0; i < 5; ++i) probes.push_back(EnqueueId(queue, MakeTask("probe")));
  EnqueueId(queue, MakeTask("embed"));
  ASSERT_EQ(queue.Claim("w1", std::vector<std::string>{"embed"}, 1).size(), 1u);

  TaskFilter probes_filter;
  probes_filter.type = "probe";
  probes_filter.limit = 2;
  probes_filter.offset = 1;
  TaskPage page = queue.List(probes_filter);
  EXPECT_EQ(page.total, 5);
  // Newest first.
  EXPECT_EQ(page.tasks.size(), 2u);
  EXPECT_EQ(page.tasks[0].id, probes[3]);
  EXPECT_EQ(page.tasks[1].id, probes[2]);

  TaskFilter running_filter;
  running_filter.status = TaskStatus::kProcessing;
  TaskPage running = queue.List(running_filter);
  EXPECT_EQ(running.total, 1);
  ASSERT_EQ(running.tasks.size(), 1u);
  EXPECT_EQ(running.tasks[0].type, "embed");
}

TEST_F(TaskQueueTest, StatsCountsAndThroughput) {
  ManualClock clock;
  QueueOptions options = UnlimitedOptions();
  options.clock = clock.AsFunction();
  TaskQueue queue = Open(options);
  std::string old = EnqueueId(queue, MakeTask("probe", 0));
  clock.Advance(30);
  for (int i = 0; i < 3; ++i) EnqueueId(queue, MakeTask("probe", 5));
  EnqueueId(queue, MakeTask("embed", 5));

  ASSERT_EQ(queue.Claim("w1", kAnyType, 1).size(), 1u);
  ASSERT_TRUE(queue.Complete(old, "w1"));
  clock.Advance(120);
  std::vector<ClaimedTask> two = queue.Claim("w1", std::vector<std::string>{"probe"}, 2);
  ASSERT_EQ(two.size(), 2u);
  ASSERT_TRUE(queue.Complete(two[0].id, "w1"));

  QueueStats stats = queue.Stats();
  EXPECT_EQ(stats.by_status["completed"], 2);
  EXPECT_EQ(stats.by_status["processing"], 1);
  EXPECT_EQ(stats.by_status["pending"], 2);
  EXPECT_EQ(stats.by_status["failed"], 0);
  EXPECT_EQ(stats.by_type["probe"], 4);
  EXPECT_EQ(stats.by_type["embed"], 1);
  EXPECT_EQ(stats.by_type_and_status["probe"]["completed"], 2);
  EXPECT_EQ(stats.pending, 2);
  EXPECT_EQ(stats.running, 1);
  // The first completion was 120 s ago.
  EXPECT_EQ(stats.completed_last_minute, 1);
  ASSERT_TRUE(stats.oldest_pending_age_seconds);
  EXPECT_DOUBLE_EQ(*stats.oldest_pending_age_seconds, 120.0);
  EXPECT_FALSE(stats.paused_all);
}

TEST_F(TaskQueueTest, InvalidStoredPayloadFailsAtClaim) {
  TaskQueue queue = Open();
  std::string broken = EnqueueId(queue, MakeTask("probe", 0));
  std::string good = EnqueueId(queue, MakeTask("probe", 1));
  store::Statement damage = queue.database().Prepare("UPDATE tasks SET data = ?1 WHERE id = ?2");
  damage.Bind(1, "{not json").Bind(2, broken).Run();

  EXPECT_EQ(Ids(queue.Claim("w1", kAnyType, 1)), std::vector<std::string>{good});
  std::optional<TaskRecord> record = queue.Get(broken);
  EXPECT_EQ(record->status, TaskStatus::kFailed);
  ASSERT_TRUE(record->error);
  EXPECT_NE(record->error->find("not valid JSON"), std::string::npos);
}

TEST_F(TaskQueueTest, SchemaSurvivesReopen) {
  std::string id;
  {
    TaskQueue queue = Open();
    id = EnqueueId(queue, MakeTask("probe"));
  }
  TaskQueue reopened = Open();
  EXPECT_EQ(store::SchemaVersion(reopened.database()), 2);
  EXPECT_EQ(Ids(reopened.Claim("w1", kAnyType, 1)), std::vector<std::string>{id});
}

TEST(TaskStatusTest, NamesRoundTrip) {
  for (TaskStatus status : {TaskStatus::kPending, TaskStatus::kProcessing, TaskStatus::kCompleted,
                            TaskStatus::kFailed, TaskStatus::kCancelled, TaskStatus::kWaiting}) {
    EXPECT_EQ(ParseTaskStatus(ToString(status)), status);
  }
  EXPECT_EQ(ParseTaskStatus("running"), TaskStatus::kProcessing);
  EXPECT_FALSE(ParseTaskStatus("done"));
}

}  // namespace
}  // namespace msearch::queue
