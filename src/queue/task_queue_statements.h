#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "queue/task_queue.h"
#include "store/sqlite.h"

// Internal to the queue: the statements of the enqueue, claim and worker paths,
// prepared once per connection because these run for every task.
namespace msearch::queue {

struct TaskQueue::Statements {
  explicit Statements(store::Database& db);

  // Enqueue.
  // Selects id, priority and status of a pending or waiting copy.
  store::Statement find_pending_duplicate;
  store::Statement end_wait_of_task;
  store::Statement raise_priority;
  store::Statement count_pending;
  store::Statement insert;

  // Claim.
  store::Statement expired_leases;
  store::Statement global_paused;
  store::Statement running_by_type;
  store::Statement candidates;
  store::Statement claim;

  // Worker reports.
  store::Statement owned_task;
  store::Statement worker_tasks;
  store::Statement complete;
  store::Statement to_pending;
  store::Statement finish;
  store::Statement extend_leases;
  store::Statement extend_lease;
  store::Statement progress;
};

// A processing task being released by Fail, RequeueWorker or lease expiry.
struct TaskQueue::ActiveTask {
  int64_t seq = 0;
  std::string id;
  std::string worker_id;
  int attempts = 0;
  int max_attempts = 0;
  std::string type;
  std::optional<std::string> dedupe_key;
};

// How many tasks one Claim may take, given the running limits.
struct TaskQueue::ClaimPlan {
  size_t budget = 0;
  // Remaining room of each type that has a limit.
  std::map<std::string, int64_t> type_room;
};

}  // namespace msearch::queue
