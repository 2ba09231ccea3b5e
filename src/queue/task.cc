#include "queue/task.h"

#include <fmt/format.h>

#include "common/error.h"

namespace msearch::queue {

std::string_view ToString(TaskStatus status) {
  switch (status) {
    case TaskStatus::kPending:
      return "pending";
    case TaskStatus::kProcessing:
      return "processing";
    case TaskStatus::kCompleted:
      return "completed";
    case TaskStatus::kFailed:
      return "failed";
    case TaskStatus::kCancelled:
      return "cancelled";
    case TaskStatus::kWaiting:
      return "waiting";
  }
  return "pending";
}

std::optional<TaskStatus> ParseTaskStatus(std::string_view text) {
  if (text == "pending") return TaskStatus::kPending;
  if (text == "processing" || text == "running") return TaskStatus::kProcessing;
  if (text == "completed") return TaskStatus::kCompleted;
  if (text == "failed") return TaskStatus::kFailed;
  if (text == "cancelled") return TaskStatus::kCancelled;
  if (text == "waiting") return TaskStatus::kWaiting;
  return std::nullopt;
}

void ValidatePriority(int priority) {
  if (priority < kHighestPriority || priority > kLowestPriority) {
    throw Error(fmt::format("invalid task priority {}: use {} (runs first) to {} (runs last)",
                            priority, kHighestPriority, kLowestPriority));
  }
}

std::optional<double> TaskRecord::Duration() const {
  if (!started_at || !completed_at) return std::nullopt;
  return *completed_at - *started_at;
}

}  // namespace msearch::queue
