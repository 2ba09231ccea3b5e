#pragma once

#include "store/sqlite.h"

namespace msearch::queue {

// A busy handler for connections that contend for the write lock many times
// a second, as queue workers do. SQLite's default handler, installed by
// sqlite3_busy_timeout, sleeps 1, 2, 5, 10 and up to 100 ms between tries
// (sqliteDefaultBusyCallback in SQLite's main.c), so a waiting worker often
// sleeps long after the lock is free. This one retries after 50 us, doubling
// to at most 2 ms, and returns SQLITE_BUSY after the same timeout.
//
// Install it on one connection; the object must outlive that connection.
class BusyWait {
 public:
  BusyWait() = default;
  BusyWait(const BusyWait&) = delete;
  BusyWait& operator=(const BusyWait&) = delete;

  // Replaces the busy handler of `db`.
  void Install(store::Database& db, int timeout_ms);

 private:
  static int OnBusy(void* self, int count);

  double timeout_seconds_ = 0;
  double wait_started_ = 0;  // monotonic seconds at the first retry of this wait
};

}  // namespace msearch::queue
