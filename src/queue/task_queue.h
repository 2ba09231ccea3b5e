#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "queue/busy_wait.h"
#include "queue/task.h"
#include "store/sqlite.h"

namespace msearch::queue {

struct QueueOptions {
  // Cap on pending tasks; Enqueue returns kRejectedFull at the cap. 0: no cap.
  size_t max_size = 10000;
  // A claimed task returns to pending when its worker has not extended the
  // lease for this long (seconds).
  double lease_seconds = 60;
  // Runs per task before it is marked failed; NewTask::max_attempts overrides it.
  int max_attempts = 3;
  // Retry n waits min(retry_max_seconds, retry_base_seconds * 2^(n-1)).
  double retry_base_seconds = 2;
  double retry_max_seconds = 300;
  // Max tasks in processing across all workers and processes. 0: no limit.
  int global_running_limit = 4;
  // Max tasks of one type in processing, e.g. {"embed", 1}. 0 or absent: no limit.
  std::map<std::string, int> type_running_limits;
  // A duplicate enqueue with a lower priority number raises the pending task's priority.
  bool raise_priority_on_duplicate = true;
  int busy_timeout_ms = 10000;
  // Unix time source. Leave empty in production: processes compare lease and
  // retry times, so they must share the wall clock. Tests set it to step time.
  std::function<double()> clock;
};

// A durable priority queue of tasks in an SQLite file that several processes
// open at once (main, file monitor, workers). Each read-then-write runs in one
// BEGIN IMMEDIATE transaction, so no two connections ever claim the same task.
//
// Thread safety: an instance owns one database connection and is used by one
// thread at a time; give each thread or process its own TaskQueue.
//
// Errors: invalid arguments throw msearch::Error. Database failures, such as
// a lock held past busy_timeout_ms or a full disk, throw store::SqliteError
// after rolling back the transaction in progress, so the queue is unchanged.
class TaskQueue {
 public:
  // Opens or creates the queue at `path` and applies the schema. Throws
  // msearch::Error for invalid options and store::SqliteError when the file
  // cannot be opened.
  TaskQueue(const std::filesystem::path& path, QueueOptions options);
  ~TaskQueue();

  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  // Producers.

  // Queues one task, as waiting when NewTask::wait is set. Duplicates and a
  // full queue are results, not exceptions. A waiting copy counts as a
  // duplicate, and queuing the same work without a wait ends that copy's
  // wait. Waiting tasks are accepted even when the queue is full.
  // Throws msearch::Error for an empty type or a priority outside 0..11.
  EnqueueResult Enqueue(const NewTask& task);
  // Queues all tasks in one transaction; results follow the input order. A
  // duplicate within the batch reports the first copy. Validates every task
  // before writing, so an invalid one throws and nothing is stored.
  std::vector<EnqueueResult> EnqueueBatch(std::span<const NewTask> tasks);

  // Workers. `worker_id` must be unique among live workers (include the pid),
  // because ownership checks compare it.

  // Claims up to `max_count` pending tasks of `types` (empty: any type) in
  // priority, then FIFO order, and marks them processing under `worker_id`
  // with a fresh lease. First returns tasks whose lease expired to pending
  // (or failed once attempts are used up). Skips paused tasks, paused scopes
  // and tasks waiting for a retry, returns nothing while the whole queue is
  // paused, and claims only as many as the running limits leave room for. A
  // task whose stored payload is not JSON is marked failed and not returned.
  std::vector<ClaimedTask> Claim(std::string_view worker_id, std::span<const std::string> types,
                                 size_t max_count);
  // Read-only check whether Claim would find work now; takes no write lock.
  bool HasClaimableWork(std::span<const std::string> types);

  // Extends the leases of all tasks `worker_id` is processing, from the
  // worker's heartbeat. Returns how many were extended.
  int ExtendLeases(std::string_view worker_id);
  // Returns false when the task is no longer processing under `worker_id`
  // (cancelled, or re-claimed after the lease expired): the worker should stop it.
  bool ExtendLease(std::string_view task_id, std::string_view worker_id);
  // Records progress (clamped to 0..1) and extends the lease. Returns false as
  // ExtendLease does.
  bool Progress(std::string_view task_id, std::string_view worker_id, double fraction);

  // Marks the task completed with `result`. Returns false, changing nothing,
  // unless it is processing under `worker_id`.
  bool Complete(std::string_view task_id, std::string_view worker_id,
                const nlohmann::json& result = nlohmann::json::object());
  // Records a failed attempt and keeps `error` as the task's error. A
  // retryable failure returns the task to pending after a backoff, until it
  // has run max_attempts times, and then marks it failed. A non-retryable one
  // marks it failed at once. Returns false, changing nothing, unless the task
  // is processing under `worker_id`.
  bool Fail(std::string_view task_id, std::string_view worker_id, std::string_view error,
            bool retryable = true);
  // Moves a claimed task back to waiting for `wait.key`, for a worker that
  // finds its prerequisite missing. The attempt does not count. If a queued
  // copy with the same dedupe key exists, the task is cancelled instead.
  // Returns false, changing nothing, unless the task is processing under
  // `worker_id`.
  bool Wait(std::string_view task_id, std::string_view worker_id, const NewTask::Wait& wait);
  // Makes every task waiting for `key` pending and returns their count. When
  // no task waits for `key`, it only reads and takes no write lock.
  int EndWait(std::string_view key);

  // Returns the tasks of a dead worker to pending at once (failed when their
  // attempts are used up), recording `reason` as their error. Returns the count.
  int RequeueWorker(std::string_view worker_id, std::string_view reason);
  // Runs RequeueWorker for every processing task. Call it only when no worker
  // can be alive, as in the main process at start: it has the data
  // directory's lock, so the tree of an earlier run is gone.
  int RequeueAllProcessing(std::string_view reason);

  // Administration (REST API). The methods returning bool return false when
  // the task is missing or in a status the operation does not apply to.

  // Cancels a pending, waiting or processing task. A worker running it finds out from
  // ExtendLease/Progress returning false; its Complete or Fail then returns false.
  bool Cancel(std::string_view task_id);
  // Cancels pending and waiting tasks, and processing ones too when `include_running`,
  // of `type` or of every type.
  CancelCounts CancelAll(bool include_running, const std::optional<std::string>& type);
  // A paused task stays pending but is not claimed. Applies to pending,
  // waiting and processing tasks (the flag matters once they are pending).
  bool Pause(std::string_view task_id);
  bool Resume(std::string_view task_id);
  // Pauses claiming of tasks whose scope is `scope`; "*" pauses everything.
  void PauseScope(std::string_view scope);
  void ResumeScope(std::string_view scope);
  void PauseAll() { PauseScope(kAllScopes); }
  void ResumeAll() { ResumeScope(kAllScopes); }
  bool IsPaused();  // whole queue
  bool IsScopePaused(std::string_view scope);
  // Changes the priority of a pending, waiting or processing task. Throws
  // msearch::Error for a priority outside 0..11.
  bool SetPriority(std::string_view task_id, int priority);
  // Queues a failed or cancelled task again with its attempts reset. Returns
  // false as well when a pending task with the same dedupe key already queues
  // the same work.
  bool Retry(std::string_view task_id);
  // Hides a finished (completed, failed or cancelled) task from List and Stats.
  bool Archive(std::string_view task_id);
  // Archives tasks completed more than `age_seconds` ago. Returns the count.
  int ArchiveCompleted(double age_seconds);
  // Deletes completed tasks and archived finished tasks that finished more
  // than `age_seconds` ago. Failed and cancelled tasks stay until archived,
  // so users can see and retry them. Returns the count.
  int Purge(double age_seconds);

  // Queries.

  std::optional<TaskRecord> Get(std::string_view task_id);
  TaskPage List(const TaskFilter& filter);
  // Returns the tasks of `type` whose data has the top-level key `data_key`,
  // oldest first: all pending, waiting and processing ones, and those that
  // finished at or after `finished_after` (Unix seconds). Sweeps of resources
  // that tasks name, such as shared memory blocks, use it. Throws
  // msearch::Error unless `data_key` contains only letters, digits and '_'.
  std::vector<TaskRecord> TasksWithDataKey(std::string_view type, std::string_view data_key,
                                           double finished_after);
  // Returns the dedupe keys of the processing tasks of `type`. A producer that queues
  // work again periodically skips these, because Enqueue deduplicates only
  // against queued copies.
  std::set<std::string> ProcessingDedupeKeys(std::string_view type);
  QueueStats Stats();

  const QueueOptions& options() const { return options_; }
  store::Database& database() { return db_; }

  static constexpr std::string_view kAllScopes = "*";

 private:
  struct Statements;
  struct ActiveTask;
  struct ClaimPlan;

  double Now() const;
  std::optional<ActiveTask> LoadOwned(std::string_view task_id, std::string_view worker_id);
  static ActiveTask ReadActiveTask(const store::Statement& row);
  static std::vector<ActiveTask> ReadActiveTasks(store::Statement& query);
  std::optional<ClaimedTask> ClaimRow(int64_t seq, std::string_view worker_id, double now);
  EnqueueResult EnqueueLocked(const NewTask& task, double now, int64_t* pending_count);
  void RequeueExpiredLeases(double now);
  ClaimPlan PlanClaim(size_t max_count);
  // Moves a task that stopped processing back to pending, to failed when it
  // may not run again, or to cancelled when a pending copy with the same
  // dedupe key will do the work. Runs inside the caller's transaction.
  void ReleaseTask(const ActiveTask& task, double now, std::string_view error, bool retry,
                   double delay_seconds);
  double RetryDelay(int attempts) const;

  QueueOptions options_;
  BusyWait busy_wait_;  // declared before db_, so it outlives the connection
  store::Database db_;
  std::unique_ptr<Statements> statements_;
};

}  // namespace msearch::queue
