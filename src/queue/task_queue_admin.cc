// Administration of single tasks and of the whole queue, as the REST API
// exposes it. These run rarely, so they prepare their statements per call.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.h"
#include "queue/sql_helpers.h"
#include "queue/task_queue.h"

namespace msearch::queue {

bool TaskQueue::Cancel(std::string_view task_id) {
  store::Statement update = db_.Prepare(
      "UPDATE tasks SET status = 'cancelled', completed_at = ?2, updated_at = ?2, "
      "lease_expires_at = NULL WHERE id = ?1 AND status IN ('pending', 'waiting', 'processing')");
  update.Bind(1, task_id).Bind(2, Now()).Run();
  bool cancelled = db_.Changes() == 1;
  if (cancelled) spdlog::info("cancelled task {}", task_id);
  return cancelled;
}

CancelCounts TaskQueue::CancelAll(bool include_running, const std::optional<std::string>& type) {
  double now = Now();
  CancelCounts counts;
  store::Transaction transaction(db_);

  store::Statement count = db_.Prepare(
      "SELECT COUNT(*) FROM tasks "
      "WHERE status IN ('pending', 'waiting', 'processing') AND (?1 IS NULL OR type = ?1)");
  count.Bind(1, type);
  count.Step();
  counts.total = count.ColumnInt(0);
  count.Reset();

  // ?3 names the second status to cancel: 'processing', or 'pending' again
  // when running tasks are to be left alone.
  store::Statement update = db_.Prepare(
      "UPDATE tasks SET status = 'cancelled', completed_at = ?2, updated_at = ?2, "
      "lease_expires_at = NULL "
      "WHERE status IN ('pending', 'waiting', ?3) AND (?1 IS NULL OR type = ?1)");
  update.Bind(1, type).Bind(2, now).Bind(3, include_running ? "processing" : "pending").Run();
  counts.cancelled = db_.Changes();
  counts.failed = counts.total - counts.cancelled;
  transaction.Commit();

  spdlog::info("cancelled {} of {} active tasks of type {} (running tasks {})", counts.cancelled,
               counts.total, type.value_or("any"), include_running ? "included" : "left running");
  return counts;
}

bool TaskQueue::Pause(std::string_view task_id) {
  store::Statement update = db_.Prepare(
      "UPDATE tasks SET paused = 1, updated_at = ?2 "
      "WHERE id = ?1 AND status IN ('pending', 'waiting', 'processing')");
  update.Bind(1, task_id).Bind(2, Now()).Run();
  bool paused = db_.Changes() == 1;
  if (paused) spdlog::info("paused task {}", task_id);
  return paused;
}

bool TaskQueue::Resume(std::string_view task_id) {
  store::Statement update = db_.Prepare(
      "UPDATE tasks SET paused = 0, updated_at = ?2 "
      "WHERE id = ?1 AND status IN ('pending', 'waiting', 'processing')");
  update.Bind(1, task_id).Bind(2, Now()).Run();
  bool resumed = db_.Changes() == 1;
  if (resumed) spdlog::info("resumed task {}", task_id);
  return resumed;
}

void TaskQueue::PauseScope(std::string_view scope) {
  if (scope.empty()) throw Error("cannot pause an empty task scope; use \"*\" for all tasks");
  store::Statement insert = db_.Prepare(
      "INSERT INTO queue_pauses (scope, paused_at) VALUES (?1, ?2) "
      "ON CONFLICT (scope) DO NOTHING");
  insert.Bind(1, scope).Bind(2, Now()).Run();
  spdlog::info("paused task scope '{}' in '{}'", scope, db_.path().string());
}

void TaskQueue::ResumeScope(std::string_view scope) {
  store::Statement remove = db_.Prepare("DELETE FROM queue_pauses WHERE scope = ?1");
  remove.Bind(1, scope).Run();
  spdlog::info("resumed task scope '{}' in '{}'", scope, db_.path().string());
}

bool TaskQueue::IsPaused() { return IsScopePaused(kAllScopes); }

bool TaskQueue::IsScopePaused(std::string_view scope) {
  store::Statement query =
      db_.Prepare("SELECT EXISTS (SELECT 1 FROM queue_pauses WHERE scope = ?1)");
  query.Bind(1, scope);
  query.Step();
  return query.ColumnInt(0) != 0;
}

bool TaskQueue::SetPriority(std::string_view task_id, int priority) {
  ValidatePriority(priority);
  store::Statement update = db_.Prepare(
      "UPDATE tasks SET priority = ?2, updated_at = ?3 "
      "WHERE id = ?1 AND status IN ('pending', 'waiting', 'processing')");
  update.Bind(1, task_id).Bind(2, priority).Bind(3, Now()).Run();
  bool changed = db_.Changes() == 1;
  if (changed) spdlog::info("set priority of task {} to {}", task_id, priority);
  return changed;
}

bool TaskQueue::Retry(std::string_view task_id) {
  double now = Now();
  store::Transaction transaction(db_);

  store::Statement query =
      db_.Prepare("SELECT seq, type, dedupe_key, status FROM tasks WHERE id = ?1");
  query.Bind(1, task_id);
  if (!query.Step()) return false;
  int64_t seq = query.ColumnInt(0);
  std::string type = query.ColumnText(1);
  std::optional<std::string> dedupe_key = query.ColumnOptionalText(2);
  std::optional<TaskStatus> status = ParseTaskStatus(query.ColumnText(3));
  query.Reset();
  if (status != TaskStatus::kFailed && status != TaskStatus::kCancelled) return false;

  if (dedupe_key) {
    store::Statement duplicate = db_.Prepare(
        "SELECT id FROM tasks WHERE type = ?1 AND dedupe_key = ?2 "
        "AND status IN ('pending', 'waiting')");
    duplicate.Bind(1, type).Bind(2, *dedupe_key);
    if (duplicate.Step()) {
      spdlog::info("task {} not retried: queued task {} already has the same dedupe key", task_id,
                   duplicate.ColumnText(0));
      return false;
    }
  }

  store::Statement update = db_.Prepare(
      "UPDATE tasks SET status = 'pending', attempts = 0, not_before = 0, error = NULL, "
      "result = NULL, started_at = NULL, completed_at = NULL, lease_expires_at = NULL, "
      "progress = 0, archived = 0, waiting_for = NULL, updated_at = ?2 WHERE seq = ?1");
  update.Bind(1, seq).Bind(2, now).Run();
  transaction.Commit();
  spdlog::info("queued task {} ({}) again for retry", task_id, type);
  return true;
}

bool TaskQueue::Archive(std::string_view task_id) {
  store::Statement update = db_.Prepare(
      "UPDATE tasks SET archived = 1, updated_at = ?2 "
      "WHERE id = ?1 AND status IN ('completed', 'failed', 'cancelled')");
  update.Bind(1, task_id).Bind(2, Now()).Run();
  return db_.Changes() == 1;
}

int TaskQueue::ArchiveCompleted(double age_seconds) {
  double now = Now();
  store::Statement update = db_.Prepare(
      "UPDATE tasks SET archived = 1, updated_at = ?2 "
      "WHERE status = 'completed' AND archived = 0 AND completed_at < ?1");
  update.Bind(1, now - age_seconds).Bind(2, now).Run();
  int archived = db_.Changes();
  if (archived > 0) {
    spdlog::info("archived {} tasks completed over {} s ago", archived, age_seconds);
  }
  return archived;
}

int TaskQueue::Purge(double age_seconds) {
  store::Statement remove = db_.Prepare(
      "DELETE FROM tasks WHERE completed_at < ?1 "
      "AND (status = 'completed' OR (archived = 1 AND status IN ('failed', 'cancelled')))");
  remove.Bind(1, Now() - age_seconds).Run();
  int purged = db_.Changes();
  if (purged > 0) spdlog::info("purged {} tasks finished over {} s ago", purged, age_seconds);
  return purged;
}

}  // namespace msearch::queue
