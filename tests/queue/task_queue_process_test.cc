// Several processes, each with its own connection, claiming from one file.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "queue/queue_test_util.h"
#include "queue/task_queue.h"
#include "support/temp_dir.h"

namespace msearch::queue {
namespace {

using testing::MakeTask;

constexpr int kChildOk = 0;
constexpr int kChildException = 1;
constexpr int kChildCompleteRejected = 2;
constexpr int kChildLimitExceeded = 3;

// Claims and completes tasks until none is pending, writing each claimed id
// to `claims_file`. Returns the process exit code.
int RunWorker(const std::filesystem::path& db_path, const std::filesystem::path& claims_file,
              const QueueOptions& options) {
  try {
    TaskQueue queue(db_path, options);
    std::ofstream claims(claims_file);
    std::string worker_id = "worker-" + std::to_string(getpid());
    const std::vector<std::string> any_type;
    while (true) {
      std::vector<ClaimedTask> claimed = queue.Claim(worker_id, any_type, 8);
      if (options.global_running_limit > 0 &&
          queue.Stats().running > options.global_running_limit) {
        return kChildLimitExceeded;
      }
      if (claimed.empty()) {
        if (queue.Stats().pending == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      for (const ClaimedTask& task : claimed) {
        claims << task.id << '\n';
        if (!queue.Complete(task.id, worker_id, {{"pid", getpid()}})) {
          return kChildCompleteRejected;
        }
      }
    }
    claims.close();
    return claims ? kChildOk : kChildException;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "worker %d failed: %s\n", getpid(), error.what());
    return kChildException;
  }
}

// Forks `count` workers and waits for them. Returns their pids, or fails the
// test when one exits with an error or all have not finished in time.
std::vector<pid_t> RunWorkers(int count, const std::filesystem::path& db_path,
                              const std::filesystem::path& dir, const QueueOptions& options) {
  std::vector<pid_t> pids;
  for (int i = 0; i < count; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      std::filesystem::path file = dir / ("claims-" + std::to_string(getpid()));
      _exit(RunWorker(db_path, file, options));
    }
    EXPECT_GT(pid, 0) << "fork failed";
    if (pid > 0) pids.push_back(pid);
  }

  // Generous: the workers normally finish in seconds even on a loaded machine.
  double deadline = MonotonicSeconds() + 240;
  std::vector<pid_t> running = pids;
  while (!running.empty() && MonotonicSeconds() < deadline) {
    for (auto it = running.begin(); it != running.end();) {
      int status = 0;
      if (waitpid(*it, &status, WNOHANG) == *it) {
        EXPECT_TRUE(WIFEXITED(status)) << "worker " << *it << " was killed";
        if (WIFEXITED(status)) {
          EXPECT_EQ(WEXITSTATUS(status), kChildOk) << "worker " << *it;
        }
        it = running.erase(it);
      } else {
        ++it;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (pid_t pid : running) {
    ADD_FAILURE() << "worker " << pid << " did not finish in time";
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  return pids;
}

void CheckEachTaskRanOnce(int task_count, int worker_count, const QueueOptions& options) {
  msearch::testing::TempDir dir;
  std::filesystem::path db_path = dir / "task_queue.db";
  std::vector<std::string> ids;
  {
    // Closed before fork: a connection must not cross into a child.
    TaskQueue queue(db_path, options);
    std::vector<NewTask> batch;
    for (int i = 0; i < task_count; ++i) batch.push_back(MakeTask("probe", i % 12, {{"n", i}}));
    for (const EnqueueResult& result : queue.EnqueueBatch(batch)) ids.push_back(result.task_id);
  }

  std::vector<pid_t> pids = RunWorkers(worker_count, db_path, dir.path(), options);
  ASSERT_EQ(pids.size(), static_cast<size_t>(worker_count));

  std::map<std::string, pid_t> claimed_by;
  size_t claims = 0;
  for (pid_t pid : pids) {
    std::ifstream file(dir / ("claims-" + std::to_string(pid)));
    std::string id;
    while (std::getline(file, id)) {
      ++claims;
      auto [it, inserted] = claimed_by.emplace(id, pid);
      EXPECT_TRUE(inserted) << "task " << id << " claimed by " << it->second << " and " << pid;
    }
  }
  EXPECT_EQ(claims, static_cast<size_t>(task_count));
  EXPECT_EQ(claimed_by.size(), static_cast<size_t>(task_count));

  TaskQueue queue(db_path, options);
  for (const std::string& id : ids) {
    std::optional<TaskRecord> record = queue.Get(id);
    ASSERT_TRUE(record) << id;
    EXPECT_EQ(record->status, TaskStatus::kCompleted) << id;
    EXPECT_EQ(record->attempts, 1) << id;
    ASSERT_TRUE(record->result) << id;
    EXPECT_EQ((*record->result)["pid"], claimed_by[id]) << id;
  }
  QueueStats stats = queue.Stats();
  EXPECT_EQ(stats.by_status["completed"], task_count);
  EXPECT_EQ(stats.pending, 0);
  EXPECT_EQ(stats.running, 0);
}

TEST(TaskQueueProcessTest, FourProcessesClaimEachTaskOnce) {
  QueueOptions options;
  options.global_running_limit = 0;
  CheckEachTaskRanOnce(2000, 4, options);
}

TEST(TaskQueueProcessTest, RunningLimitHoldsAcrossProcesses) {
  QueueOptions options;
  options.global_running_limit = 3;
  CheckEachTaskRanOnce(600, 4, options);
}

}  // namespace
}  // namespace msearch::queue
