#include "queue/task_queue.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/logging.h"
#include "common/uuid.h"
#include "queue/queue_schema.h"
#include "queue/sql_helpers.h"
#include "queue/task_queue_statements.h"

namespace msearch::queue {
namespace {

using internal::ResetOnExit;

// Columns read into TaskQueue::ActiveTask, in its field order.
constexpr std::string_view kActiveColumns =
    "seq, id, worker_id, attempts, max_attempts, type, dedupe_key";

LogRateLimiter& FullQueueLogLimiter() {
  static LogRateLimiter limiter(1, std::chrono::seconds(60));
  return limiter;
}

QueueOptions Validated(QueueOptions options) {
  if (!(options.lease_seconds > 0)) {
    throw Error(
        fmt::format("invalid task queue lease_seconds {}: must be above 0", options.lease_seconds));
  }
  if (options.max_attempts < 1) {
    throw Error(fmt::format("invalid task queue max_attempts {}: must be at least 1",
                            options.max_attempts));
  }
  if (options.retry_base_seconds < 0 || options.retry_max_seconds < options.retry_base_seconds) {
    throw Error(
        fmt::format("invalid task queue retry delays: base {} s and max {} s; use 0 <= base <= max",
                    options.retry_base_seconds, options.retry_max_seconds));
  }
  if (options.global_running_limit < 0) {
    throw Error(fmt::format("invalid task queue global_running_limit {}: use 0 for no limit",
                            options.global_running_limit));
  }
  for (const auto& [type, limit] : options.type_running_limits) {
    if (limit < 0) {
      throw Error(fmt::format("invalid running limit {} for task type '{}': use 0 for no limit",
                              limit, type));
    }
  }
  return options;
}

void ValidateNewTask(const NewTask& task) {
  if (task.type.empty())
    throw Error("invalid task: the type is empty; set NewTask::type, e.g. \"probe\"");
  ValidatePriority(task.priority);
  if (task.max_attempts && *task.max_attempts < 1) {
    throw Error(fmt::format("invalid max_attempts {} for a '{}' task: must be at least 1",
                            *task.max_attempts, task.type));
  }
}

std::string TagsJson(const std::vector<std::string>& tags) {
  return internal::DumpJson(nlohmann::json(tags));
}

}  // namespace

TaskQueue::Statements::Statements(store::Database& db)
    : find_pending_duplicate(
          db.Prepare("SELECT id, priority, status FROM tasks "
                     "WHERE type = ?1 AND dedupe_key = ?2 AND status IN ('pending', 'waiting')")),
      end_wait_of_task(db.Prepare(
          "UPDATE tasks SET status = 'pending', waiting_for = NULL, error = NULL, updated_at = ?2 "
          "WHERE id = ?1 AND status = 'waiting'")),
      raise_priority(db.Prepare(
          "UPDATE tasks SET priority = ?2, updated_at = ?3 WHERE id = ?1 AND priority > ?2")),
      count_pending(db.Prepare("SELECT COUNT(*) FROM tasks WHERE status = 'pending'")),
      insert(db.Prepare(
          "INSERT INTO tasks (id, type, data, priority, status, created_at, updated_at, sender, "
          "sender_type, dedupe_key, scope, file_path, tags, max_attempts, waiting_for, error) "
          "VALUES (?1, ?2, ?3, ?4, ?13, ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?14, ?15)")),
      expired_leases(db.Prepare(
          fmt::format("SELECT {} FROM tasks WHERE status = 'processing' AND lease_expires_at < ?1",
                      kActiveColumns))),
      global_paused(db.Prepare("SELECT EXISTS (SELECT 1 FROM queue_pauses WHERE scope = '*')")),
      running_by_type(
          db.Prepare("SELECT type, COUNT(*) FROM tasks WHERE status = 'processing' GROUP BY type")),
      candidates(db.Prepare("SELECT seq, type FROM tasks "
                            "WHERE status = 'pending' AND paused = 0 AND not_before <= ?1 "
                            "AND (?2 IS NULL OR type IN (SELECT value FROM json_each(?2))) "
                            "AND type NOT IN (SELECT value FROM json_each(?3)) "
                            "AND (scope IS NULL OR scope NOT IN (SELECT scope FROM queue_pauses)) "
                            "ORDER BY priority, seq LIMIT ?4")),
      claim(db.Prepare(
          "UPDATE tasks SET status = 'processing', worker_id = ?2, started_at = ?3, "
          "updated_at = ?3, lease_expires_at = ?4, attempts = attempts + 1, progress = 0, "
          "completed_at = NULL "
          "WHERE seq = ?1 AND status = 'pending' "
          "RETURNING id, type, data, priority, attempts, max_attempts, scope, file_path, "
          "dedupe_key")),
      owned_task(db.Prepare(fmt::format(
          "SELECT {} FROM tasks WHERE id = ?1 AND status = 'processing' AND worker_id = ?2",
          kActiveColumns))),
      worker_tasks(db.Prepare(fmt::format(
          "SELECT {} FROM tasks WHERE status = 'processing' AND worker_id = ?1", kActiveColumns))),
      complete(db.Prepare(
          "UPDATE tasks SET status = 'completed', result = ?3, error = NULL, progress = 1, "
          "completed_at = ?4, updated_at = ?4, lease_expires_at = NULL "
          "WHERE id = ?1 AND status = 'processing' AND worker_id = ?2")),
      to_pending(db.Prepare(
          "UPDATE tasks SET status = 'pending', error = ?2, not_before = ?3, updated_at = ?4, "
          "lease_expires_at = NULL WHERE seq = ?1")),
      finish(db.Prepare(
          "UPDATE tasks SET status = ?2, error = ?3, completed_at = ?4, updated_at = ?4, "
          "lease_expires_at = NULL WHERE seq = ?1")),
      extend_leases(db.Prepare(
          "UPDATE tasks SET lease_expires_at = ?2 WHERE status = 'processing' AND worker_id = ?1")),
      extend_lease(db.Prepare("UPDATE tasks SET lease_expires_at = ?3 "
                              "WHERE id = ?1 AND status = 'processing' AND worker_id = ?2")),
      progress(db.Prepare("UPDATE tasks SET progress = ?3, lease_expires_at = ?4, updated_at = ?5 "
                          "WHERE id = ?1 AND status = 'processing' AND worker_id = ?2")) {}

TaskQueue::TaskQueue(const std::filesystem::path& path, QueueOptions options)
    : options_(Validated(std::move(options))),
      db_(path, store::Database::Options{.read_only = false,
                                         .busy_timeout_ms = options_.busy_timeout_ms}) {
  busy_wait_.Install(db_, options_.busy_timeout_ms);
  ApplyQueueSchema(db_);
  statements_ = std::make_unique<Statements>(db_);
  spdlog::debug("opened task queue '{}'", path.string());
}

TaskQueue::~TaskQueue() = default;

double TaskQueue::Now() const { return options_.clock ? options_.clock() : NowSeconds(); }

double TaskQueue::RetryDelay(int attempts) const {
  // Doubling from 2^0; the exponent is capped so the power stays finite.
  int exponent = std::clamp(attempts - 1, 0, 60);
  double delay = options_.retry_base_seconds * std::ldexp(1.0, exponent);
  return std::min(delay, options_.retry_max_seconds);
}

EnqueueResult TaskQueue::EnqueueLocked(const NewTask& task, double now, int64_t* pending_count) {
  Statements& s = *statements_;
  if (task.dedupe_key) {
    ResetOnExit reset(s.find_pending_duplicate);
    s.find_pending_duplicate.Bind(1, task.type).Bind(2, *task.dedupe_key);
    if (s.find_pending_duplicate.Step()) {
      std::string existing_id = s.find_pending_duplicate.ColumnText(0);
      int existing_priority = static_cast<int>(s.find_pending_duplicate.ColumnInt(1));
      bool existing_waits = s.find_pending_duplicate.ColumnText(2) == "waiting";
      if (options_.raise_priority_on_duplicate && task.priority < existing_priority) {
        s.raise_priority.Bind(1, existing_id).Bind(2, task.priority).Bind(3, now).Run();
      }
      // Work queued without a wait means its prerequisite is met now.
      if (existing_waits && !task.wait) {
        s.end_wait_of_task.Bind(1, existing_id).Bind(2, now).Run();
      }
      return {EnqueueOutcome::kDuplicate, std::move(existing_id)};
    }
  }

  // Only pending tasks count against max_size. Dedupe keys already limit
  // waiting tasks to one per file and model.
  if (!task.wait && options_.max_size > 0 &&
      *pending_count >= static_cast<int64_t>(options_.max_size)) {
    return {EnqueueOutcome::kRejectedFull, ""};
  }

  std::string id = NewUuid();
  s.insert.Bind(1, id)
      .Bind(2, task.type)
      .Bind(3, internal::DumpJson(task.data))
      .Bind(4, task.priority)
      .Bind(5, now)
      .Bind(6, task.sender)
      .Bind(7, task.sender_type)
      .Bind(8, task.dedupe_key)
      .Bind(9, task.scope)
      .Bind(10, task.file_path)
      .Bind(11, TagsJson(task.tags))
      .Bind(12, task.max_attempts.value_or(options_.max_attempts))
      .Bind(13, task.wait ? "waiting" : "pending")
      .Bind(14, task.wait ? std::optional<std::string>(task.wait->key) : std::nullopt)
      .Bind(15, task.wait ? std::optional<std::string>(task.wait->reason) : std::nullopt);
  s.insert.Run();
  if (!task.wait) ++*pending_count;
  return {EnqueueOutcome::kEnqueued, std::move(id)};
}

EnqueueResult TaskQueue::Enqueue(const NewTask& task) {
  return EnqueueBatch(std::span<const NewTask>(&task, 1)).front();
}

std::vector<EnqueueResult> TaskQueue::EnqueueBatch(std::span<const NewTask> tasks) {
  for (const NewTask& task : tasks) ValidateNewTask(task);
  std::vector<EnqueueResult> results;
  if (tasks.empty()) return results;
  results.reserve(tasks.size());

  double now = Now();
  store::Transaction transaction(db_);
  int64_t pending_count = 0;
  if (options_.max_size > 0) {
    ResetOnExit reset(statements_->count_pending);
    statements_->count_pending.Step();
    pending_count = statements_->count_pending.ColumnInt(0);
  }
  size_t rejected = 0;
  for (const NewTask& task : tasks) {
    results.push_back(EnqueueLocked(task, now, &pending_count));
    if (results.back().outcome == EnqueueOutcome::kRejectedFull) ++rejected;
  }
  transaction.Commit();

  size_t suppressed = 0;
  if (rejected > 0 && FullQueueLogLimiter().Allow("full", &suppressed)) {
    spdlog::warn(
        "task queue '{}' is full ({} pending, max_size {}): rejected {} of {} tasks, "
        "{} earlier warnings suppressed",
        db_.path().string(), pending_count, options_.max_size, rejected, tasks.size(), suppressed);
  }
  return results;
}

std::optional<TaskQueue::ActiveTask> TaskQueue::LoadOwned(std::string_view task_id,
                                                          std::string_view worker_id) {
  store::Statement& query = statements_->owned_task;
  ResetOnExit reset(query);
  query.Bind(1, task_id).Bind(2, worker_id);
  if (!query.Step()) return std::nullopt;
  return ReadActiveTask(query);
}

TaskQueue::ActiveTask TaskQueue::ReadActiveTask(const store::Statement& row) {
  ActiveTask task;
  task.seq = row.ColumnInt(0);
  task.id = row.ColumnText(1);
  task.worker_id = row.ColumnText(2);
  task.attempts = static_cast<int>(row.ColumnInt(3));
  task.max_attempts = static_cast<int>(row.ColumnInt(4));
  task.type = row.ColumnText(5);
  task.dedupe_key = row.ColumnOptionalText(6);
  return task;
}

std::vector<TaskQueue::ActiveTask> TaskQueue::ReadActiveTasks(store::Statement& query) {
  ResetOnExit reset(query);
  std::vector<ActiveTask> tasks;
  while (query.Step()) tasks.push_back(ReadActiveTask(query));
  return tasks;
}

void TaskQueue::ReleaseTask(const ActiveTask& task, double now, std::string_view error, bool retry,
                            double delay_seconds) {
  Statements& s = *statements_;
  if (!retry || task.attempts >= task.max_attempts) {
    s.finish.Bind(1, task.seq).Bind(2, ToString(TaskStatus::kFailed)).Bind(3, error).Bind(4, now);
    s.finish.Run();
    spdlog::warn("task {} ({}) failed on attempt {} of {}{}: {}", task.id, task.type, task.attempts,
                 task.max_attempts, retry ? "" : " (not retryable)", error);
    return;
  }

  // The unique index allows one pending copy per dedupe key. If the same work
  // was queued again while this copy ran, that copy will do it.
  if (task.dedupe_key) {
    std::optional<std::string> duplicate;
    {
      ResetOnExit reset(s.find_pending_duplicate);
      s.find_pending_duplicate.Bind(1, task.type).Bind(2, *task.dedupe_key);
      if (s.find_pending_duplicate.Step()) duplicate = s.find_pending_duplicate.ColumnText(0);
    }
    if (duplicate) {
      std::string message = fmt::format(
          "{}; superseded by pending task {} with the same dedupe key", error, *duplicate);
      s.finish.Bind(1, task.seq)
          .Bind(2, ToString(TaskStatus::kCancelled))
          .Bind(3, message)
          .Bind(4, now);
      s.finish.Run();
      spdlog::info("task {} ({}) not retried: {}", task.id, task.type, message);
      return;
    }
  }

  s.to_pending.Bind(1, task.seq).Bind(2, error).Bind(3, now + delay_seconds).Bind(4, now);
  s.to_pending.Run();
  spdlog::info("task {} ({}) returned to pending after attempt {} of {}, retry in {:.1f} s: {}",
               task.id, task.type, task.attempts, task.max_attempts, delay_seconds, error);
}

bool TaskQueue::Complete(std::string_view task_id, std::string_view worker_id,
                         const nlohmann::json& result) {
  store::Statement& update = statements_->complete;
  update.Bind(1, task_id).Bind(2, worker_id).Bind(3, internal::DumpJson(result)).Bind(4, Now());
  update.Run();
  bool applied = db_.Changes() == 1;
  if (!applied) {
    spdlog::info(
        "completion of task {} by worker {} ignored: the task is not processing under this worker",
        task_id, worker_id);
  }
  return applied;
}

bool TaskQueue::Fail(std::string_view task_id, std::string_view worker_id, std::string_view error,
                     bool retryable) {
  double now = Now();
  store::Transaction transaction(db_);
  std::optional<ActiveTask> task = LoadOwned(task_id, worker_id);
  if (!task) {
    spdlog::info(
        "failure of task {} by worker {} ignored: the task is not processing under this worker "
        "({})",
        task_id, worker_id, error);
    return false;
  }
  ReleaseTask(*task, now, error, retryable, RetryDelay(task->attempts));
  transaction.Commit();
  return true;
}

bool TaskQueue::Wait(std::string_view task_id, std::string_view worker_id,
                     const NewTask::Wait& wait) {
  double now = Now();
  Statements& s = *statements_;
  store::Transaction transaction(db_);
  std::optional<ActiveTask> task = LoadOwned(task_id, worker_id);
  if (!task) {
    spdlog::info(
        "wait of task {} by worker {} ignored: the task is not processing under this worker",
        task_id, worker_id);
    return false;
  }
  std::optional<std::string> duplicate;
  if (task->dedupe_key) {
    ResetOnExit reset(s.find_pending_duplicate);
    s.find_pending_duplicate.Bind(1, task->type).Bind(2, *task->dedupe_key);
    if (s.find_pending_duplicate.Step()) duplicate = s.find_pending_duplicate.ColumnText(0);
  }
  if (duplicate) {
    std::string message = fmt::format("{}; superseded by queued task {} with the same dedupe key",
                                      wait.reason, *duplicate);
    s.finish.Bind(1, task->seq)
        .Bind(2, ToString(TaskStatus::kCancelled))
        .Bind(3, message)
        .Bind(4, now);
    s.finish.Run();
    transaction.Commit();
    spdlog::info(
        "task {} ({}) cancelled instead of waiting for '{}': queued task {} has the "
        "same dedupe key",
        task->id, task->type, wait.key, *duplicate);
    return true;
  }

  // The attempt did not run, so it does not count.
  store::Statement update = db_.Prepare(
      "UPDATE tasks SET status = 'waiting', waiting_for = ?2, error = ?3, updated_at = ?4, "
      "attempts = MAX(attempts - 1, 0), lease_expires_at = NULL, progress = 0 WHERE seq = ?1");
  update.Bind(1, task->seq).Bind(2, wait.key).Bind(3, wait.reason).Bind(4, now).Run();
  transaction.Commit();
  spdlog::info("task {} ({}) waits for '{}': {}", task->id, task->type, wait.key, wait.reason);
  return true;
}

int TaskQueue::EndWait(std::string_view key) {
  // This runs every few seconds, so it first checks without a write lock.
  {
    store::Statement any = db_.Prepare(
        "SELECT EXISTS (SELECT 1 FROM tasks WHERE status = 'waiting' AND waiting_for = ?1)");
    any.Bind(1, key);
    any.Step();
    if (any.ColumnInt(0) == 0) return 0;
  }
  store::Statement update = db_.Prepare(
      "UPDATE tasks SET status = 'pending', waiting_for = NULL, error = NULL, not_before = 0, "
      "updated_at = ?2 WHERE status = 'waiting' AND waiting_for = ?1");
  update.Bind(1, key).Bind(2, Now()).Run();
  int ended = db_.Changes();
  if (ended > 0) spdlog::info("{} task(s) waiting for '{}' are pending now", ended, key);
  return ended;
}

int TaskQueue::RequeueWorker(std::string_view worker_id, std::string_view reason) {
  double now = Now();
  store::Transaction transaction(db_);
  statements_->worker_tasks.Bind(1, worker_id);
  std::vector<ActiveTask> tasks = ReadActiveTasks(statements_->worker_tasks);
  for (const ActiveTask& task : tasks) ReleaseTask(task, now, reason, /*retry=*/true, 0);
  transaction.Commit();
  if (!tasks.empty()) {
    spdlog::warn("returned {} tasks of worker {} to the queue: {}", tasks.size(), worker_id,
                 reason);
  }
  return static_cast<int>(tasks.size());
}

int TaskQueue::RequeueAllProcessing(std::string_view reason) {
  double now = Now();
  store::Transaction transaction(db_);
  store::Statement query =
      db_.Prepare(fmt::format("SELECT {} FROM tasks WHERE status = 'processing'", kActiveColumns));
  std::vector<ActiveTask> tasks = ReadActiveTasks(query);
  for (const ActiveTask& task : tasks) ReleaseTask(task, now, reason, /*retry=*/true, 0);
  transaction.Commit();
  if (!tasks.empty()) {
    spdlog::warn("returned {} tasks left processing to the queue: {}", tasks.size(), reason);
  }
  return static_cast<int>(tasks.size());
}

int TaskQueue::ExtendLeases(std::string_view worker_id) {
  store::Statement& update = statements_->extend_leases;
  update.Bind(1, worker_id).Bind(2, Now() + options_.lease_seconds);
  update.Run();
  return db_.Changes();
}

bool TaskQueue::ExtendLease(std::string_view task_id, std::string_view worker_id) {
  store::Statement& update = statements_->extend_lease;
  update.Bind(1, task_id).Bind(2, worker_id).Bind(3, Now() + options_.lease_seconds);
  update.Run();
  return db_.Changes() == 1;
}

bool TaskQueue::Progress(std::string_view task_id, std::string_view worker_id, double fraction) {
  double now = Now();
  double clamped = std::isfinite(fraction) ? std::clamp(fraction, 0.0, 1.0) : 0.0;
  store::Statement& update = statements_->progress;
  update.Bind(1, task_id)
      .Bind(2, worker_id)
      .Bind(3, clamped)
      .Bind(4, now + options_.lease_seconds)
      .Bind(5, now);
  update.Run();
  return db_.Changes() == 1;
}

}  // namespace msearch::queue
