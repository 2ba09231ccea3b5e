#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace msearch::queue {

// Priorities run from kHighestPriority (0, searches and manual actions) to
// kLowestPriority (11). Bands: 1-5 embedding, 6-8 preprocessing, 9-10
// thumbnails and previews.
inline constexpr int kHighestPriority = 0;
inline constexpr int kLowestPriority = 11;
inline constexpr int kDefaultPriority = 6;

// Life cycle: pending -> processing -> completed, or back to pending for a
// retry, or failed once attempts are used up. A waiting task is queued but
// waits for a prerequisite outside the queue, such as a model to be installed.
// It is not claimed until TaskQueue::EndWait makes it pending. Pending, waiting and
// processing tasks can be cancelled; failed and cancelled tasks can be
// retried.
enum class TaskStatus { kPending, kProcessing, kCompleted, kFailed, kCancelled, kWaiting };

// The name stored in the database: "pending", "processing", "completed",
// "failed", "cancelled", "waiting".
std::string_view ToString(TaskStatus status);

// Parses a stored name; "running" (the REST API's word) is accepted for
// processing. Returns nullopt for any other text.
std::optional<TaskStatus> ParseTaskStatus(std::string_view text);

// Throws msearch::Error naming the value unless kHighestPriority <= priority
// <= kLowestPriority.
void ValidatePriority(int priority);

// A unit of work to queue.
struct NewTask {
  std::string type;  // task kind that workers claim by, e.g. "probe", "thumbnail", "embed"
  nlohmann::json data = nlohmann::json::object();
  int priority = kDefaultPriority;
  // While a pending task of the same type has this key, enqueueing again
  // returns that task instead of a new one. Processing tasks do not count, so
  // a file changed while its task runs is queued again.
  std::optional<std::string> dedupe_key;
  // Pause group, for example "dir:12" for the tasks of one watched directory.
  std::optional<std::string> scope;
  std::string sender;       // producing process id, e.g. "file_monitor"
  std::string sender_type;  // producing process type
  std::optional<std::string> file_path;
  std::optional<int> max_attempts;  // nullopt: QueueOptions::max_attempts
  std::vector<std::string> tags;
  // Wait condition. When set, the task is queued as waiting until
  // TaskQueue::EndWait(key) is called, with `reason` stored as its error
  // message for users. An example key is "model:image".
  struct Wait {
    std::string key;
    std::string reason;
  };
  std::optional<Wait> wait;
};

enum class EnqueueOutcome {
  kEnqueued,
  // A pending task with the same type and dedupe key exists; `task_id` is its id.
  kDuplicate,
  // The pending count reached QueueOptions::max_size. Nothing was stored, so
  // the producer must queue this work again later (for example on its next scan).
  kRejectedFull,
};

struct EnqueueResult {
  EnqueueOutcome outcome = EnqueueOutcome::kEnqueued;
  std::string task_id;  // empty for kRejectedFull
};

// A task handed to a worker by TaskQueue::Claim.
struct ClaimedTask {
  std::string id;
  std::string type;
  nlohmann::json data;
  int priority = kDefaultPriority;
  int attempt = 1;  // 1 for the first run
  int max_attempts = 1;
  std::optional<std::string> scope;
  std::optional<std::string> file_path;
  std::optional<std::string> dedupe_key;
  double lease_expires_at = 0;  // Unix seconds
};

// Every column of one task, as the REST API reports it. Times are Unix seconds.
struct TaskRecord {
  std::string id;
  int64_t seq = 0;  // insertion order; FIFO within a priority
  std::string type;
  nlohmann::json data;
  int priority = kDefaultPriority;
  TaskStatus status = TaskStatus::kPending;
  double created_at = 0;
  double updated_at = 0;
  std::optional<double> started_at;      // start of the latest attempt
  std::optional<double> completed_at;    // when it reached completed, failed or cancelled
  std::optional<std::string> worker_id;  // the latest worker that claimed it
  std::optional<nlohmann::json> result;
  std::optional<std::string> error;  // the latest failure, kept across retries
  std::string sender;
  std::string sender_type;
  std::optional<std::string> dedupe_key;
  std::optional<std::string> scope;
  std::optional<std::string> file_path;
  std::vector<std::string> tags;
  int attempts = 0;
  int max_attempts = 0;
  double not_before = 0;  // a retry waits until this time
  std::optional<double> lease_expires_at;
  bool paused = false;
  double progress = 0;  // fraction done, 0..1
  bool archived = false;
  std::optional<std::string> waiting_for;  // the wait key of a waiting task

  // Seconds from start to completion, or nullopt when either is missing.
  std::optional<double> Duration() const;
};

struct TaskFilter {
  std::optional<std::string> type;
  std::optional<TaskStatus> status;
  bool include_archived = false;
  size_t limit = 100;
  size_t offset = 0;
};

struct TaskPage {
  std::vector<TaskRecord> tasks;  // newest first
  int64_t total = 0;              // matching tasks, ignoring limit and offset
};

// Counts for the API's /tasks/stats. Archived tasks are not counted.
struct QueueStats {
  std::map<std::string, int64_t> by_status;  // every status name, zero included
  std::map<std::string, int64_t> by_type;
  std::map<std::string, std::map<std::string, int64_t>> by_type_and_status;
  int64_t pending = 0;  // queue length, paused tasks included
  int64_t waiting = 0;  // tasks waiting for something outside the queue
  int64_t running = 0;
  int64_t completed_last_minute = 0;  // throughput, tasks per minute
  std::optional<double> oldest_pending_age_seconds;
  bool paused_all = false;
  std::vector<std::string> paused_scopes;  // "*" excluded
};

// Result of TaskQueue::CancelAll, the API's `result` object.
struct CancelCounts {
  int64_t cancelled = 0;
  int64_t failed = 0;  // matching tasks left running because cancel_running was false
  int64_t total = 0;   // matching pending, waiting and processing tasks
};

}  // namespace msearch::queue
