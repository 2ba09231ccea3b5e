// Read-only queries behind the REST API's task listing and statistics.

#include <array>

#include <fmt/format.h>

#include "common/error.h"
#include "queue/sql_helpers.h"
#include "queue/task_queue.h"

namespace msearch::queue {
namespace {

// Columns read by ReadRecord, in its order.
constexpr std::string_view kRecordColumns =
    "seq, id, type, data, priority, status, created_at, updated_at, started_at, completed_at, "
    "worker_id, result, error, sender, sender_type, dedupe_key, scope, file_path, tags, "
    "attempts, max_attempts, not_before, lease_expires_at, paused, progress, archived, "
    "waiting_for";

constexpr std::array kAllStatuses = {TaskStatus::kPending,   TaskStatus::kProcessing,
                                     TaskStatus::kCompleted, TaskStatus::kFailed,
                                     TaskStatus::kCancelled, TaskStatus::kWaiting};

std::vector<std::string> ParseTags(std::string_view text) {
  std::vector<std::string> tags;
  std::optional<nlohmann::json> parsed = internal::ParseJson(text);
  if (!parsed || !parsed->is_array()) return tags;
  for (const nlohmann::json& tag : *parsed) {
    if (tag.is_string()) tags.push_back(tag.get<std::string>());
  }
  return tags;
}

// Stored JSON that fails to parse is returned as a JSON string holding the
// raw text, so a damaged row can still be listed and inspected.
nlohmann::json ParseJsonOrText(const std::string& text) {
  std::optional<nlohmann::json> parsed = internal::ParseJson(text);
  return parsed ? std::move(*parsed) : nlohmann::json(text);
}

TaskRecord ReadRecord(const store::Statement& row) {
  TaskRecord record;
  record.seq = row.ColumnInt(0);
  record.id = row.ColumnText(1);
  record.type = row.ColumnText(2);
  record.data = ParseJsonOrText(row.ColumnText(3));
  record.priority = static_cast<int>(row.ColumnInt(4));
  record.status = ParseTaskStatus(row.ColumnText(5)).value_or(TaskStatus::kPending);
  record.created_at = row.ColumnDouble(6);
  record.updated_at = row.ColumnDouble(7);
  record.started_at = row.ColumnOptionalDouble(8);
  record.completed_at = row.ColumnOptionalDouble(9);
  record.worker_id = row.ColumnOptionalText(10);
  if (!row.IsNull(11)) record.result = ParseJsonOrText(row.ColumnText(11));
  record.error = row.ColumnOptionalText(12);
  record.sender = row.ColumnText(13);
  record.sender_type = row.ColumnText(14);
  record.dedupe_key = row.ColumnOptionalText(15);
  record.scope = row.ColumnOptionalText(16);
  record.file_path = row.ColumnOptionalText(17);
  record.tags = ParseTags(row.ColumnText(18));
  record.attempts = static_cast<int>(row.ColumnInt(19));
  record.max_attempts = static_cast<int>(row.ColumnInt(20));
  record.not_before = row.ColumnDouble(21);
  record.lease_expires_at = row.ColumnOptionalDouble(22);
  record.paused = row.ColumnInt(23) != 0;
  record.progress = row.ColumnDouble(24);
  record.archived = row.ColumnInt(25) != 0;
  record.waiting_for = row.ColumnOptionalText(26);
  return record;
}

}  // namespace

std::optional<TaskRecord> TaskQueue::Get(std::string_view task_id) {
  store::Statement query =
      db_.Prepare(fmt::format("SELECT {} FROM tasks WHERE id = ?1", kRecordColumns));
  query.Bind(1, task_id);
  if (!query.Step()) return std::nullopt;
  return ReadRecord(query);
}

TaskPage TaskQueue::List(const TaskFilter& filter) {
  std::optional<std::string> status;
  if (filter.status) status = std::string(ToString(*filter.status));
  constexpr std::string_view kWhere =
      "WHERE (?1 IS NULL OR type = ?1) AND (?2 IS NULL OR status = ?2) AND (?3 OR archived = 0)";

  TaskPage page;
  internal::ReadTransaction transaction(db_);

  store::Statement count = db_.Prepare(fmt::format("SELECT COUNT(*) FROM tasks {}", kWhere));
  count.Bind(1, filter.type).Bind(2, status).Bind(3, filter.include_archived ? 1 : 0);
  count.Step();
  page.total = count.ColumnInt(0);
  count.Reset();

  store::Statement query = db_.Prepare(fmt::format(
      "SELECT {} FROM tasks {} ORDER BY seq DESC LIMIT ?4 OFFSET ?5", kRecordColumns, kWhere));
  query.Bind(1, filter.type)
      .Bind(2, status)
      .Bind(3, filter.include_archived ? 1 : 0)
      .Bind(4, static_cast<int64_t>(filter.limit))
      .Bind(5, static_cast<int64_t>(filter.offset));
  while (query.Step()) page.tasks.push_back(ReadRecord(query));
  return page;
}

std::vector<TaskRecord> TaskQueue::TasksWithDataKey(std::string_view type,
                                                    std::string_view data_key,
                                                    double finished_after) {
  bool valid_key = !data_key.empty();
  for (char c : data_key) {
    valid_key = valid_key && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '_');
  }
  if (!valid_key) {
    throw Error(fmt::format("invalid task data key '{}': use letters, digits and '_'", data_key));
  }
  // The conditions on type and status let SQLite search an index, such as
  // tasks_type_status, instead of scanning the table.
  store::Statement query = db_.Prepare(fmt::format(
      "SELECT {} FROM tasks WHERE type = ?1 AND json_type(data, ?2) IS NOT NULL AND "
      "(status IN ('pending', 'waiting', 'processing') OR "
      "(status IN ('completed', 'failed', 'cancelled') AND completed_at >= ?3)) ORDER BY seq",
      kRecordColumns));
  query.Bind(1, type).Bind(2, fmt::format("$.{}", data_key)).Bind(3, finished_after);
  std::vector<TaskRecord> tasks;
  while (query.Step()) tasks.push_back(ReadRecord(query));
  return tasks;
}

std::set<std::string> TaskQueue::ProcessingDedupeKeys(std::string_view type) {
  store::Statement query = db_.Prepare(
      "SELECT dedupe_key FROM tasks WHERE status = 'processing' AND type = ?1 "
      "AND dedupe_key IS NOT NULL");
  query.Bind(1, type);
  std::set<std::string> keys;
  while (query.Step()) keys.insert(query.ColumnText(0));
  return keys;
}

QueueStats TaskQueue::Stats() {
  double now = Now();
  QueueStats stats;
  for (TaskStatus status : kAllStatuses) stats.by_status[std::string(ToString(status))] = 0;

  internal::ReadTransaction transaction(db_);

  store::Statement counts = db_.Prepare(
      "SELECT type, status, COUNT(*) FROM tasks WHERE archived = 0 GROUP BY type, status");
  while (counts.Step()) {
    std::string type = counts.ColumnText(0);
    std::string status = counts.ColumnText(1);
    int64_t count = counts.ColumnInt(2);
    stats.by_status[status] += count;
    stats.by_type[type] += count;
    stats.by_type_and_status[type][status] += count;
  }
  stats.pending = stats.by_status["pending"];
  stats.waiting = stats.by_status["waiting"];
  stats.running = stats.by_status["processing"];

  store::Statement throughput =
      db_.Prepare("SELECT COUNT(*) FROM tasks WHERE status = 'completed' AND completed_at >= ?1");
  throughput.Bind(1, now - 60.0);
  throughput.Step();
  stats.completed_last_minute = throughput.ColumnInt(0);

  store::Statement oldest =
      db_.Prepare("SELECT MIN(created_at) FROM tasks WHERE status = 'pending'");
  oldest.Step();
  if (!oldest.IsNull(0)) stats.oldest_pending_age_seconds = now - oldest.ColumnDouble(0);

  store::Statement pauses = db_.Prepare("SELECT scope FROM queue_pauses ORDER BY scope");
  while (pauses.Step()) {
    std::string scope = pauses.ColumnText(0);
    if (scope == kAllScopes) {
      stats.paused_all = true;
    } else {
      stats.paused_scopes.push_back(std::move(scope));
    }
  }
  return stats;
}

}  // namespace msearch::queue
