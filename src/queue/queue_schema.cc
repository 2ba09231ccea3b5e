#include "queue/queue_schema.h"

#include <array>

#include "store/migrations.h"

namespace msearch::queue {
namespace {

// `seq` is the rowid, so it grows with each insert and orders tasks of equal
// priority first in, first out. `id` is the UUID that callers see.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE tasks (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 6 CHECK (priority BETWEEN 0 AND 11),
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  started_at REAL,
  completed_at REAL,
  worker_id TEXT,
  result TEXT,
  error TEXT,
  sender TEXT NOT NULL DEFAULT '',
  sender_type TEXT NOT NULL DEFAULT '',
  dedupe_key TEXT,
  scope TEXT,
  file_path TEXT,
  tags TEXT NOT NULL DEFAULT '[]',
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 3,
  not_before REAL NOT NULL DEFAULT 0,
  lease_expires_at REAL,
  paused INTEGER NOT NULL DEFAULT 0,
  progress REAL NOT NULL DEFAULT 0,
  archived INTEGER NOT NULL DEFAULT 0
);

-- The same work is never waiting twice, but may be queued again while an
-- earlier copy runs.
CREATE UNIQUE INDEX tasks_pending_dedupe ON tasks (type, dedupe_key)
  WHERE status = 'pending' AND dedupe_key IS NOT NULL;

-- Claim path: pending tasks in priority, then FIFO order.
CREATE INDEX tasks_claim ON tasks (status, priority, seq);
-- Throughput and purge of finished tasks.
CREATE INDEX tasks_finished ON tasks (status, completed_at);
-- Covers the per-type counts of the statistics.
CREATE INDEX tasks_type_status ON tasks (type, status, archived);
CREATE INDEX tasks_lease ON tasks (lease_expires_at) WHERE status = 'processing';
CREATE INDEX tasks_worker ON tasks (worker_id) WHERE status = 'processing';

-- scope '*' pauses the whole queue.
CREATE TABLE queue_pauses (
  scope TEXT PRIMARY KEY,
  paused_at REAL NOT NULL
);
)sql";

// Adds the waiting status, for a queued task whose prerequisite (such as a
// model) is missing, and the waiting_for column with the key it waits for.
// SQLite cannot change a CHECK constraint in place, so the table is copied.
constexpr std::string_view kVersion2 = R"sql(
CREATE TABLE tasks_v2 (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 6 CHECK (priority BETWEEN 0 AND 11),
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled', 'waiting')),
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  started_at REAL,
  completed_at REAL,
  worker_id TEXT,
  result TEXT,
  error TEXT,
  sender TEXT NOT NULL DEFAULT '',
  sender_type TEXT NOT NULL DEFAULT '',
  dedupe_key TEXT,
  scope TEXT,
  file_path TEXT,
  tags TEXT NOT NULL DEFAULT '[]',
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 3,
  not_before REAL NOT NULL DEFAULT 0,
  lease_expires_at REAL,
  paused INTEGER NOT NULL DEFAULT 0,
  progress REAL NOT NULL DEFAULT 0,
  archived INTEGER NOT NULL DEFAULT 0,
  waiting_for TEXT
);
INSERT INTO tasks_v2 (seq, id, type, data, priority, status, created_at, updated_at, started_at,
  completed_at, worker_id, result, error, sender, sender_type, dedupe_key, scope, file_path, tags,
  attempts, max_attempts, not_before, lease_expires_at, paused, progress, archived)
SELECT seq, id, type, data, priority, status, created_at, updated_at, started_at, completed_at,
  worker_id, result, error, sender, sender_type, dedupe_key, scope, file_path, tags, attempts,
  max_attempts, not_before, lease_expires_at, paused, progress, archived FROM tasks;
DROP TABLE tasks;
ALTER TABLE tasks_v2 RENAME TO tasks;

-- A waiting copy counts as queued work, so a second copy is not queued.
CREATE UNIQUE INDEX tasks_pending_dedupe ON tasks (type, dedupe_key)
  WHERE status IN ('pending', 'waiting') AND dedupe_key IS NOT NULL;
CREATE INDEX tasks_claim ON tasks (status, priority, seq);
CREATE INDEX tasks_finished ON tasks (status, completed_at);
CREATE INDEX tasks_type_status ON tasks (type, status, archived);
CREATE INDEX tasks_lease ON tasks (lease_expires_at) WHERE status = 'processing';
CREATE INDEX tasks_worker ON tasks (worker_id) WHERE status = 'processing';
CREATE INDEX tasks_waiting ON tasks (waiting_for) WHERE status = 'waiting';
)sql";

constexpr std::array kMigrations = {store::Migration{1, kVersion1}, store::Migration{2, kVersion2}};

}  // namespace

void ApplyQueueSchema(store::Database& db) {
  store::ApplyMigrations(db, "task queue", kMigrations);
}

}  // namespace msearch::queue
