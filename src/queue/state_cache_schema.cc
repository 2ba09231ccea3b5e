#include "queue/state_cache_schema.h"

#include <array>

#include "store/migrations.h"

namespace msearch::queue {
namespace {

constexpr std::string_view kVersion1 = R"sql(
-- Persistent layer under each process's in-memory LRU cache of task states.
CREATE TABLE task_states (
  task_id TEXT PRIMARY KEY,
  state_data TEXT NOT NULL,
  last_updated REAL NOT NULL,
  accessed_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX task_states_last_updated ON task_states (last_updated);

-- One row per msearch process, written by the supervisor and by the
-- process's own heartbeat.
CREATE TABLE process_states (
  process_id TEXT PRIMARY KEY,
  process_type TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'running',
  pid INTEGER,
  heartbeat REAL,
  created_at REAL NOT NULL,
  last_updated REAL NOT NULL,
  restarts INTEGER NOT NULL DEFAULT 0,
  started_at REAL,
  exit_code INTEGER,
  last_error TEXT,
  rss_bytes INTEGER,
  current_task TEXT
);
)sql";

constexpr std::array kMigrations = {store::Migration{1, kVersion1}};

}  // namespace

void ApplyStateCacheSchema(store::Database& db) {
  store::ApplyMigrations(db, "state cache", kMigrations);
}

}  // namespace msearch::queue
