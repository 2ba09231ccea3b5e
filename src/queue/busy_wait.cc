#include "queue/busy_wait.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <sqlite3.h>

#include "common/clock.h"

namespace msearch::queue {

void BusyWait::Install(store::Database& db, int timeout_ms) {
  timeout_seconds_ = timeout_ms / 1000.0;
  sqlite3_busy_handler(db.handle(), &BusyWait::OnBusy, this);
}

int BusyWait::OnBusy(void* self, int count) {
  auto* wait = static_cast<BusyWait*>(self);
  double now = MonotonicSeconds();
  // SQLite restarts the count at 0 for each new wait.
  if (count == 0) wait->wait_started_ = now;
  if (now - wait->wait_started_ >= wait->timeout_seconds_) return 0;
  int micros = std::min(50 << std::min(count, 6), 2000);
  std::this_thread::sleep_for(std::chrono::microseconds(micros));
  return 1;
}

}  // namespace msearch::queue
