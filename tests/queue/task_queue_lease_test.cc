// Worker failures: lease expiry, retries with backoff, stale workers and
// requeueing the tasks of a dead worker.

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "queue/queue_test_util.h"
#include "queue/task_queue.h"
#include "support/temp_dir.h"

namespace msearch::queue {
namespace {

using testing::Ids;
using testing::MakeTask;
using testing::ManualClock;
using testing::UnlimitedOptions;

const std::vector<std::string> kAnyType;

class TaskQueueLeaseTest : public ::testing::Test {
 protected:
  // Options on the manual clock: lease 10 s, retries 2, 4, 8 s capped at 5 s.
  QueueOptions ClockOptions() {
    QueueOptions options = UnlimitedOptions();
    options.clock = clock_.AsFunction();
    options.lease_seconds = 10;
    options.retry_base_seconds = 2;
    options.retry_max_seconds = 5;
    return options;
  }

  TaskQueue Open(QueueOptions options) {
    return TaskQueue(dir_ / "task_queue.db", std::move(options));
  }

  std::string EnqueueId(TaskQueue& queue, const NewTask& task) {
    EnqueueResult result = queue.Enqueue(task);
    EXPECT_EQ(result.outcome, EnqueueOutcome::kEnqueued);
    return result.task_id;
  }

  msearch::testing::TempDir dir_;
  ManualClock clock_;
};

TEST_F(TaskQueueLeaseTest, ExpiredLeaseRequeuesInRealTime) {
  QueueOptions options = UnlimitedOptions();
  options.lease_seconds = 0.2;
  TaskQueue first = Open(options);
  TaskQueue second = Open(options);
  std::string id = EnqueueId(first, MakeTask("probe"));
  ASSERT_EQ(Ids(first.Claim("worker-a", kAnyType, 1)), std::vector<std::string>{id});

  // worker-a never extends its lease; worker-b gets the task once it expires.
  std::vector<ClaimedTask> reclaimed;
  double deadline = MonotonicSeconds() + 60;
  while (reclaimed.empty() && MonotonicSeconds() < deadline) {
    reclaimed = second.Claim("worker-b", kAnyType, 1);
    if (reclaimed.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(Ids(reclaimed), std::vector<std::string>{id});
  EXPECT_EQ(reclaimed[0].attempt, 2);

  std::optional<TaskRecord> record = second.Get(id);
  EXPECT_EQ(record->worker_id, "worker-b");
  ASSERT_TRUE(record->error);
  EXPECT_EQ(*record->error, "lease expired: worker worker-a stopped responding");

  EXPECT_FALSE(first.Complete(id, "worker-a", {{"by", "a"}}));
  EXPECT_TRUE(second.Complete(id, "worker-b", {{"by", "b"}}));
  EXPECT_EQ((*second.Get(id)->result)["by"], "b");
}

TEST_F(TaskQueueLeaseTest, ExpiredLeaseOnLastAttemptFails) {
  QueueOptions options = ClockOptions();
  options.max_attempts = 1;
  TaskQueue queue = Open(options);
  std::string id = EnqueueId(queue, MakeTask("probe"));
  ASSERT_EQ(queue.Claim("worker-a", kAnyType, 1).size(), 1u);

  clock_.Advance(9);
  EXPECT_FALSE(queue.HasClaimableWork(kAnyType));
  clock_.Advance(2);
  EXPECT_TRUE(queue.HasClaimableWork(kAnyType));
  EXPECT_TRUE(queue.Claim("worker-b", kAnyType, 1).empty());

  std::optional<TaskRecord> record = queue.Get(id);
  EXPECT_EQ(record->status, TaskStatus::kFailed);
  EXPECT_EQ(record->error, "lease expired: worker worker-a stopped responding");
  EXPECT_TRUE(record->completed_at);
}

TEST_F(TaskQueueLeaseTest, ExtendLeasesKeepsTasks) {
  TaskQueue queue = Open(ClockOptions());
  std::string a = EnqueueId(queue, MakeTask("probe"));
  std::string b = EnqueueId(queue, MakeTask("probe"));
  ASSERT_EQ(queue.Claim("worker-a", kAnyType, 2).size(), 2u);

  for (int beat = 0; beat < 5; ++beat) {
    clock_.Advance(8);
    EXPECT_EQ(queue.ExtendLeases("worker-a"), 2);
  }
  EXPECT_DOUBLE_EQ(*queue.Get(a)->lease_expires_at, clock_.Now() + 10);
  clock_.Advance(8);
  EXPECT_TRUE(queue.Claim("worker-b", kAnyType, 2).empty());

  EXPECT_TRUE(queue.ExtendLease(b, "worker-a"));
  EXPECT_FALSE(queue.ExtendLease(b, "worker-b"));
  EXPECT_EQ(queue.ExtendLeases("worker-b"), 0);
  clock_.Advance(9);
  // Only b's lease was extended at the last step, so only a's has expired.
  EXPECT_EQ(Ids(queue.Claim("worker-b", kAnyType, 2)), std::vector<std::string>{a});
}

TEST_F(TaskQueueLeaseTest, RetryBackoffDoublesUpToMax) {
  QueueOptions options = ClockOptions();
  options.max_attempts = 5;
  TaskQueue queue = Open(options);
  std::string id = EnqueueId(queue, MakeTask("probe"));

  // Delays after attempts 1..4: 2, 4, then capped at 5 s.
  const double expected_delays[] = {2, 4, 5, 5};
  for (int attempt = 1; attempt <= 4; ++attempt) {
    std::vector<ClaimedTask> claimed = queue.Claim("worker-a", kAnyType, 1);
    ASSERT_EQ(claimed.size(), 1u) << "attempt " << attempt;
    EXPECT_EQ(claimed[0].attempt, attempt);
    ASSERT_TRUE(queue.Fail(id, "worker-a", "timeout " + std::to_string(attempt)));

    std::optional<TaskRecord> record = queue.Get(id);
    EXPECT_EQ(record->status, TaskStatus::kPending);
    EXPECT_EQ(record->attempts, attempt);
    EXPECT_DOUBLE_EQ(record->not_before - clock_.Now(), expected_delays[attempt - 1]);
    EXPECT_EQ(record->error, "timeout " + std::to_string(attempt));

    // Not claimable until the backoff has passed.
    clock_.Advance(expected_delays[attempt - 1] - 0.5);
    EXPECT_TRUE(queue.Claim("worker-a", kAnyType, 1).empty());
    EXPECT_FALSE(queue.HasClaimableWork(kAnyType));
    clock_.Advance(0.5);
  }

  ASSERT_EQ(queue.Claim("worker-a", kAnyType, 1).size(), 1u);
  ASSERT_TRUE(queue.Fail(id, "worker-a", "timeout 5"));
  std::optional<TaskRecord> record = queue.Get(id);
  EXPECT_EQ(record->status, TaskStatus::kFailed);
  EXPECT_EQ(record->attempts, 5);
  EXPECT_EQ(record->error, "timeout 5");
  EXPECT_TRUE(queue.Claim("worker-a", kAnyType, 1).empty());
}

TEST_F(TaskQueueLeaseTest, PerTaskMaxAttempts) {
  TaskQueue queue = Open(ClockOptions());
  NewTask task = MakeTask("probe");
  task.max_attempts = 1;
  std::string id = EnqueueId(queue, task);
  ASSERT_EQ(queue.Claim("worker-a", kAnyType, 1).size(), 1u);
  ASSERT_TRUE(queue.Fail(id, "worker-a", "out of memory"));
  EXPECT_EQ(queue.Get(id)->status, TaskStatus::kFailed);
}

TEST_F(TaskQueueLeaseTest, NonRetryableFailsAtOnce) {
  TaskQueue queue = Open(ClockOptions());
  std::string id = EnqueueId(queue, MakeTask("probe"));
  ASSERT_EQ(queue.Claim("worker-a", kAnyType, 1).size(), 1u);
  ASSERT_TRUE(queue.Fail(id, "worker-a", "unsupported codec", /*retryable=*/false));

  std::optional<TaskRecord> record = queue.Get(id);
  EXPECT_EQ(record->status, TaskStatus::kFailed);
  EXPECT_EQ(record->attempts, 1);
  EXPECT_EQ(record->error, "unsupported codec");
  EXPECT_FALSE(queue.Fail(id, "worker-a", "again"));
}

TEST_F(TaskQueueLeaseTest, StaleWorkerCannotOverwrite) {
  TaskQueue queue = Open(ClockOptions());
  std::string id = EnqueueId(queue, MakeTask("probe"));
  ASSERT_EQ(queue.Claim("worker-a", kAnyType, 1).size(), 1u);
  clock_.Advance(11);
  std::vector<ClaimedTask> reclaimed = queue.Claim("worker-b", kAnyType, 1);
  ASSERT_EQ(Ids(reclaimed), std::vector<std::string>{id});
  EXPECT_EQ(reclaimed[0].attempt, 2);

  EXPECT_FALSE(queue.ExtendLease(id, "worker-a"));
  EXPECT_FALSE(queue.Progress(id, "worker-a", 0.9));
  EXPECT_FALSE(queue.Complete(id, "worker-a", {{"by", "a"}}));
  EXPECT_FALSE(queue.Fail(id, "worker-a", "late failure"));
  EXPECT_EQ(queue.Get(id)->status, TaskStatus::kProcessing);
  EXPECT_EQ(queue.Get(id)->worker_id, "worker-b");

  EXPECT_TRUE(queue.Complete(id, "worker-b", {{"by", "b"}}));
  std::optional<TaskRecord> record = queue.Get(id);
  EXPECT_EQ(record->status, TaskStatus::kCompleted);
  EXPECT_EQ((*record->result)["by"], "b");
  EXPECT_FALSE(record->error);
}

TEST_F(TaskQueueLeaseTest, RequeueWorkerReturnsItsTasks) {
  TaskQueue queue = Open(ClockOptions());
  std::string a = EnqueueId(queue, MakeTask("probe", 1));
  std::string b = EnqueueId(queue, MakeTask("probe", 2));
  std::string other = EnqueueId(queue, MakeTask("probe", 3));
  ASSERT_EQ(queue.Claim("worker-a", kAnyType, 2).size(), 2u);
  ASSERT_EQ(queue.Claim("worker-c", kAnyType, 1).size(), 1u);

  EXPECT_EQ(queue.RequeueWorker("worker-a", "worker-a exited with signal 9"), 2);
  for (const std::string& id : {a, b}) {
    std::optional<TaskRecord> record = queue.Get(id);
    EXPECT_EQ(record->status, TaskStatus::kPending);
    EXPECT_EQ(record->attempts, 1);
    EXPECT_EQ(record->error, "worker-a exited with signal 9");
  }
  EXPECT_EQ(queue.Get(other)->status, TaskStatus::kProcessing);

  // Claimable at once, without waiting for the lease.
  EXPECT_EQ(Ids(queue.Claim("worker-b", kAnyType, 5)), (std::vector<std::string>{a, b}));
  EXPECT_EQ(queue.RequeueWorker("worker-a", "again"), 0);
}

TEST_F(TaskQueueLeaseTest, RetryYieldsToPendingDuplicate) {
  TaskQueue queue = Open(ClockOptions());
  NewTask task = MakeTask("probe");
  task.dedupe_key = "probe:/a.mp4";
  std::string running = EnqueueId(queue, task);
  ASSERT_EQ(queue.Claim("worker-a", kAnyType, 1).size(), 1u);
  std::string queued_again = EnqueueId(queue, task);

  ASSERT_TRUE(queue.Fail(running, "worker-a", "disk busy"));
  std::optional<TaskRecord> record = queue.Get(running);
  EXPECT_EQ(record->status, TaskStatus::kCancelled);
  ASSERT_TRUE(record->error);
  EXPECT_NE(record->error->find("disk busy"), std::string::npos);
  EXPECT_NE(record->error->find(queued_again), std::string::npos);
  EXPECT_EQ(queue.Get(queued_again)->status, TaskStatus::kPending);
  EXPECT_EQ(queue.Stats().pending, 1);
}

TEST_F(TaskQueueLeaseTest, ExpiryYieldsToPendingDuplicate) {
  TaskQueue queue = Open(ClockOptions());
  NewTask task = MakeTask("probe");
  task.dedupe_key = "probe:/a.mp4";
  std::string first = EnqueueId(queue, task);
  ASSERT_EQ(queue.Claim("worker-a", kAnyType, 1).size(), 1u);
  std::string second = EnqueueId(queue, task);
  ASSERT_EQ(queue.Claim("worker-b", kAnyType, 1).size(), 1u);
  std::string third = EnqueueId(queue, task);

  // Both copies expire in one claim; neither may break the pending-key index.
  clock_.Advance(11);
  EXPECT_EQ(Ids(queue.Claim("worker-c", kAnyType, 5)), std::vector<std::string>{third});
  EXPECT_EQ(queue.Get(first)->status, TaskStatus::kCancelled);
  EXPECT_EQ(queue.Get(second)->status, TaskStatus::kCancelled);
}

}  // namespace
}  // namespace msearch::queue
