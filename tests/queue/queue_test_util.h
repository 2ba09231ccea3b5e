#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "queue/task.h"
#include "queue/task_queue.h"

namespace msearch::queue::testing {

// A settable clock for QueueOptions::clock and StateCacheOptions::clock, so
// lease and retry times can be stepped without waiting.
class ManualClock {
 public:
  explicit ManualClock(double start = 1'000'000.0) : now_(start) {}
  double Now() const { return now_.load(); }
  void Advance(double seconds) { now_.store(now_.load() + seconds); }
  std::function<double()> AsFunction() {
    return [this] { return Now(); };
  }

 private:
  std::atomic<double> now_;
};

inline NewTask MakeTask(std::string type, int priority = kDefaultPriority,
                        nlohmann::json data = nlohmann::json::object()) {
  NewTask task;
  task.type = std::move(type);
  task.priority = priority;
  task.data = std::move(data);
  task.sender = "test";
  task.sender_type = "test";
  return task;
}

// Options with no running limit, so tests opt into the limits they check.
inline QueueOptions UnlimitedOptions() {
  QueueOptions options;
  options.global_running_limit = 0;
  return options;
}

inline std::vector<std::string> Ids(const std::vector<ClaimedTask>& tasks) {
  std::vector<std::string> ids;
  for (const ClaimedTask& task : tasks) ids.push_back(task.id);
  return ids;
}

}  // namespace msearch::queue::testing
