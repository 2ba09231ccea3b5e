// The process registry half of StateCache: rows of `process_states`.

#include <fmt/format.h>

#include "queue/state_cache.h"

namespace msearch::queue {
namespace {

constexpr std::string_view kProcessColumns =
    "process_id, process_type, status, pid, heartbeat, created_at, last_updated, restarts, "
    "started_at, exit_code, last_error, rss_bytes, current_task";

ProcessState ReadProcess(const store::Statement& row) {
  ProcessState state;
  state.process_id = row.ColumnText(0);
  state.process_type = row.ColumnText(1);
  state.status = row.ColumnText(2);
  state.pid = row.ColumnOptionalInt(3);
  state.heartbeat = row.ColumnOptionalDouble(4);
  state.created_at = row.ColumnDouble(5);
  state.last_updated = row.ColumnDouble(6);
  state.restarts = static_cast<int>(row.ColumnInt(7));
  state.started_at = row.ColumnOptionalDouble(8);
  if (!row.IsNull(9)) state.exit_code = static_cast<int>(row.ColumnInt(9));
  state.last_error = row.ColumnOptionalText(10);
  state.rss_bytes = row.ColumnOptionalInt(11);
  state.current_task = row.ColumnOptionalText(12);
  return state;
}

}  // namespace

void StateCache::UpsertProcess(const ProcessState& state) {
  double now = Now();
  std::optional<int64_t> exit_code;
  if (state.exit_code) exit_code = *state.exit_code;
  std::lock_guard lock(db_mutex_);
  store::Statement upsert = db_.Prepare(
      fmt::format("INSERT INTO process_states ({}) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
                  "ON CONFLICT (process_id) DO UPDATE SET process_type = excluded.process_type, "
                  "status = excluded.status, pid = excluded.pid, heartbeat = excluded.heartbeat, "
                  "last_updated = excluded.last_updated, restarts = excluded.restarts, "
                  "started_at = excluded.started_at, exit_code = excluded.exit_code, "
                  "last_error = excluded.last_error, rss_bytes = excluded.rss_bytes, "
                  "current_task = excluded.current_task",
                  kProcessColumns));
  upsert.Bind(1, state.process_id)
      .Bind(2, state.process_type)
      .Bind(3, state.status)
      .Bind(4, state.pid)
      .Bind(5, state.heartbeat)
      .Bind(6, state.created_at > 0 ? state.created_at : now)
      .Bind(7, now)
      .Bind(8, state.restarts)
      .Bind(9, state.started_at)
      .Bind(10, exit_code)
      .Bind(11, state.last_error)
      .Bind(12, state.rss_bytes)
      .Bind(13, state.current_task);
  upsert.Run();
}

bool StateCache::Heartbeat(std::string_view process_id, std::string_view status,
                           std::optional<int64_t> rss_bytes) {
  double now = Now();
  std::lock_guard lock(db_mutex_);
  store::Statement update = db_.Prepare(
      "UPDATE process_states SET status = ?2, heartbeat = ?3, last_updated = ?3, "
      "rss_bytes = COALESCE(?4, rss_bytes) WHERE process_id = ?1");
  update.Bind(1, process_id).Bind(2, status).Bind(3, now).Bind(4, rss_bytes).Run();
  return db_.Changes() == 1;
}

bool StateCache::SetProcessStatus(std::string_view process_id, std::string_view status,
                                  std::optional<int> exit_code,
                                  std::optional<std::string> last_error) {
  std::optional<int64_t> code;
  if (exit_code) code = *exit_code;
  double now = Now();
  std::lock_guard lock(db_mutex_);
  store::Statement update = db_.Prepare(
      "UPDATE process_states SET status = ?2, last_updated = ?3, "
      "exit_code = COALESCE(?4, exit_code), last_error = COALESCE(?5, last_error) "
      "WHERE process_id = ?1");
  update.Bind(1, process_id).Bind(2, status).Bind(3, now).Bind(4, code).Bind(5, last_error).Run();
  return db_.Changes() == 1;
}

bool StateCache::SetCurrentTask(std::string_view process_id, std::optional<std::string> task_id) {
  double now = Now();
  std::lock_guard lock(db_mutex_);
  store::Statement update = db_.Prepare(
      "UPDATE process_states SET current_task = ?2, last_updated = ?3 WHERE process_id = ?1");
  update.Bind(1, process_id).Bind(2, task_id).Bind(3, now).Run();
  return db_.Changes() == 1;
}

std::optional<ProcessState> StateCache::GetProcess(std::string_view process_id) {
  std::lock_guard lock(db_mutex_);
  store::Statement query = db_.Prepare(
      fmt::format("SELECT {} FROM process_states WHERE process_id = ?1", kProcessColumns));
  query.Bind(1, process_id);
  if (!query.Step()) return std::nullopt;
  return ReadProcess(query);
}

std::vector<ProcessState> StateCache::ListProcesses(std::optional<std::string> process_type) {
  std::lock_guard lock(db_mutex_);
  store::Statement query = db_.Prepare(
      fmt::format("SELECT {} FROM process_states WHERE (?1 IS NULL OR process_type = ?1) "
                  "ORDER BY process_id",
                  kProcessColumns));
  query.Bind(1, process_type);
  std::vector<ProcessState> processes;
  while (query.Step()) processes.push_back(ReadProcess(query));
  return processes;
}

bool StateCache::RemoveProcess(std::string_view process_id) {
  std::lock_guard lock(db_mutex_);
  store::Statement remove = db_.Prepare("DELETE FROM process_states WHERE process_id = ?1");
  remove.Bind(1, process_id).Run();
  return db_.Changes() == 1;
}

}  // namespace msearch::queue
