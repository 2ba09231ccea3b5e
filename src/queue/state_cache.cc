#include "queue/state_cache.h"

#include <chrono>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/logging.h"
#include "queue/sql_helpers.h"
#include "queue/state_cache_schema.h"

namespace msearch::queue {
namespace {

LogRateLimiter& InvalidStateLogLimiter() {
  static LogRateLimiter limiter(5, std::chrono::seconds(60));
  return limiter;
}

}  // namespace

StateCache::StateCache(const std::filesystem::path& path, StateCacheOptions options)
    : options_(std::move(options)),
      db_(path, store::Database::Options{.read_only = false,
                                         .busy_timeout_ms = options_.busy_timeout_ms}),
      cache_(options_.memory_capacity) {
  ApplyStateCacheSchema(db_);
  spdlog::debug("opened state cache '{}' (memory capacity {})", path.string(),
                options_.memory_capacity);
}

StateCache::~StateCache() {
  try {
    FlushAccessCounts();
  } catch (const store::SqliteError& error) {
    spdlog::error("state cache '{}': access counts lost at close: {}", db_.path().string(),
                  error.what());
  }
}

double StateCache::Now() const { return options_.clock ? options_.clock() : NowSeconds(); }

std::optional<nlohmann::json> StateCache::GetTaskState(std::string_view task_id) {
  std::string key(task_id);
  if (std::optional<std::shared_ptr<const CachedState>> cached = cache_.Get(key)) {
    if (MonotonicSeconds() - (*cached)->cached_at < options_.memory_ttl_seconds) {
      CountAccess(task_id);
      return (*cached)->data;
    }
  }

  std::string text;
  double last_updated = 0;
  {
    std::lock_guard lock(db_mutex_);
    store::Statement query =
        db_.Prepare("SELECT state_data, last_updated FROM task_states WHERE task_id = ?1");
    query.Bind(1, task_id);
    if (!query.Step()) {
      cache_.Erase(key);
      return std::nullopt;
    }
    text = query.ColumnText(0);
    last_updated = query.ColumnDouble(1);
  }

  std::optional<nlohmann::json> state = internal::ParseJson(text);
  if (!state) {
    size_t suppressed = 0;
    if (InvalidStateLogLimiter().Allow("invalid", &suppressed)) {
      spdlog::error(
          "state cache '{}': stored state of task {} is not valid JSON; treated as missing "
          "({} similar errors suppressed)",
          db_.path().string(), task_id, suppressed);
    }
    return std::nullopt;
  }
  auto entry =
      std::make_shared<const CachedState>(CachedState{*state, last_updated, MonotonicSeconds()});
  cache_.Put(key, std::move(entry));
  CountAccess(task_id);
  return state;
}

void StateCache::UpdateTaskState(std::string_view task_id, const nlohmann::json& state) {
  double now = Now();
  std::lock_guard lock(db_mutex_);
  store::Statement upsert = db_.Prepare(
      "INSERT INTO task_states (task_id, state_data, last_updated) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (task_id) DO UPDATE SET state_data = excluded.state_data, "
      "last_updated = excluded.last_updated");
  upsert.Bind(1, task_id).Bind(2, internal::DumpJson(state)).Bind(3, now).Run();
  // Updated under the database lock, so the cache ends with the value that
  // was written last.
  cache_.Put(std::string(task_id),
             std::make_shared<const CachedState>(CachedState{state, now, MonotonicSeconds()}));
}

bool StateCache::DeleteTaskState(std::string_view task_id) {
  std::lock_guard lock(db_mutex_);
  store::Statement remove = db_.Prepare("DELETE FROM task_states WHERE task_id = ?1");
  remove.Bind(1, task_id).Run();
  cache_.Erase(std::string(task_id));
  return db_.Changes() == 1;
}

int StateCache::CleanupOlderThan(double age_seconds) {
  FlushAccessCounts();
  double cutoff = Now() - age_seconds;
  int deleted = 0;
  {
    std::lock_guard lock(db_mutex_);
    store::Statement remove = db_.Prepare("DELETE FROM task_states WHERE last_updated < ?1");
    remove.Bind(1, cutoff).Run();
    deleted = db_.Changes();
    cache_.EraseIf([cutoff](const std::string&, const std::shared_ptr<const CachedState>& entry) {
      return entry->last_updated < cutoff;
    });
  }
  spdlog::info("state cache '{}': removed {} task states older than {} s", db_.path().string(),
               deleted, age_seconds);
  return deleted;
}

void StateCache::CountAccess(std::string_view task_id) {
  bool flush = false;
  {
    std::lock_guard lock(access_mutex_);
    ++pending_access_[std::string(task_id)];
    flush = pending_access_.size() >= options_.access_flush_threshold;
  }
  if (flush) FlushAccessCounts();
}

void StateCache::FlushAccessCounts() {
  std::unordered_map<std::string, int64_t> counts;
  {
    std::lock_guard lock(access_mutex_);
    counts.swap(pending_access_);
  }
  if (counts.empty()) return;
  std::lock_guard lock(db_mutex_);
  FlushAccessCountsLocked(counts);
}

void StateCache::FlushAccessCountsLocked(const std::unordered_map<std::string, int64_t>& counts) {
  store::Transaction transaction(db_);
  store::Statement update =
      db_.Prepare("UPDATE task_states SET accessed_count = accessed_count + ?2 WHERE task_id = ?1");
  for (const auto& [task_id, count] : counts) update.Bind(1, task_id).Bind(2, count).Run();
  transaction.Commit();
}

std::optional<int64_t> StateCache::AccessCount(std::string_view task_id) {
  FlushAccessCounts();
  std::lock_guard lock(db_mutex_);
  store::Statement query = db_.Prepare("SELECT accessed_count FROM task_states WHERE task_id = ?1");
  query.Bind(1, task_id);
  if (!query.Step()) return std::nullopt;
  return query.ColumnInt(0);
}

}  // namespace msearch::queue
