#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "queue/lru_cache.h"
#include "store/sqlite.h"

namespace msearch::queue {

struct StateCacheOptions {
  // Task states kept in memory per process.
  size_t memory_capacity = 1000;
  // A state cached longer than this (seconds) is read from SQLite again, which
  // bounds how stale a state written by another process can be. 0: re-read
  // every time, so the memory cache only saves parsing for this process's own writes.
  double memory_ttl_seconds = 1.0;
  // Access counts are added to SQLite once this many reads are waiting.
  size_t access_flush_threshold = 256;
  int busy_timeout_ms = 10000;
  // Unix time source for last_updated and heartbeats. Leave empty in
  // production, where processes compare these times; tests set it to step time.
  std::function<double()> clock;
};

// One row of `process_states`. Times are Unix seconds.
struct ProcessState {
  std::string process_id;          // e.g. "task_worker-1"
  std::string process_type;        // "main", "file_monitor", "embedding_worker", "task_worker"
  std::string status = "running";  // e.g. starting, running, stopping, stopped, crashed
  std::optional<int64_t> pid;
  std::optional<double> heartbeat;
  double created_at = 0;  // set on the first insert and kept by later upserts
  double last_updated = 0;
  int restarts = 0;
  std::optional<double> started_at;
  std::optional<int> exit_code;
  std::optional<std::string> last_error;
  std::optional<int64_t> rss_bytes;
  std::optional<std::string> current_task;
};

// Task states (a JSON object per task) in SQLite behind an in-memory LRU
// cache, plus the registry of process states, in the file at
// `ipc.state_cache.path`. Task state writes go to SQLite and the cache at
// once (write-through). Process states are not cached, so every process
// reads the latest heartbeat.
//
// Thread safety: all methods may be called from several threads at once;
// they share one connection under a mutex. Each process opens its own
// StateCache. Database failures throw store::SqliteError.
class StateCache {
 public:
  // Opens or creates the file and applies the schema. Throws
  // store::SqliteError when it cannot be opened.
  StateCache(const std::filesystem::path& path, StateCacheOptions options);
  // Writes access counts still held in memory.
  ~StateCache();

  StateCache(const StateCache&) = delete;
  StateCache& operator=(const StateCache&) = delete;

  // Task states.

  // Returns the state from memory, or from SQLite (then cached), or nullopt
  // when none is stored. Counts the access.
  std::optional<nlohmann::json> GetTaskState(std::string_view task_id);
  // Stores the state in SQLite and in the cache, keeping its access count.
  void UpdateTaskState(std::string_view task_id, const nlohmann::json& state);
  bool DeleteTaskState(std::string_view task_id);
  // Removes states last updated more than `age_seconds` ago from SQLite and
  // memory. Run it every `cleanup_interval` seconds. Returns the rows deleted.
  int CleanupOlderThan(double age_seconds);
  // Adds the access counts held in memory to SQLite.
  void FlushAccessCounts();
  // The stored access count, after flushing; nullopt when no state is stored.
  std::optional<int64_t> AccessCount(std::string_view task_id);
  size_t CachedCount() const { return cache_.Size(); }
  bool IsCached(std::string_view task_id) const { return cache_.Contains(std::string(task_id)); }

  // Process states.

  // Inserts the process or replaces all its fields except created_at.
  // last_updated is set to now; created_at to now when it is 0.
  void UpsertProcess(const ProcessState& state);
  // Records a heartbeat now with the process's status and resident memory.
  // Returns false when the process is not registered.
  bool Heartbeat(std::string_view process_id, std::string_view status,
                 std::optional<int64_t> rss_bytes);
  // Sets status, and exit code and error when given (others keep their value).
  bool SetProcessStatus(std::string_view process_id, std::string_view status,
                        std::optional<int> exit_code = std::nullopt,
                        std::optional<std::string> last_error = std::nullopt);
  // Sets or clears (nullopt) the task the process is working on.
  bool SetCurrentTask(std::string_view process_id, std::optional<std::string> task_id);
  std::optional<ProcessState> GetProcess(std::string_view process_id);
  // All processes, or those of `process_type`, ordered by process id.
  std::vector<ProcessState> ListProcesses(std::optional<std::string> process_type = std::nullopt);
  bool RemoveProcess(std::string_view process_id);

 private:
  struct CachedState {
    nlohmann::json data;
    double last_updated = 0;  // Unix seconds, as stored
    double cached_at = 0;     // monotonic seconds
  };

  double Now() const;
  void CountAccess(std::string_view task_id);
  void FlushAccessCountsLocked(const std::unordered_map<std::string, int64_t>& counts);

  const StateCacheOptions options_;
  mutable std::mutex db_mutex_;  // guards db_
  store::Database db_;
  LruCache<std::string, std::shared_ptr<const CachedState>> cache_;
  std::mutex access_mutex_;  // guards pending_access_
  std::unordered_map<std::string, int64_t> pending_access_;
};

}  // namespace msearch::queue
