#pragma once

#include <optional>
#include <string>

#include "queue/task_queue.h"
#include "runtime/child_session.h"

namespace msearch::runtime {

// Reports the progress of one long task, both in the task's progress field
// in the queue (shown in the task list) and to the main process as an IPC
// "progress" message. The first call always reports, and later calls report
// at most once a second. Not thread-safe.
class TaskProgress {
 public:
  TaskProgress(queue::TaskQueue& queue, ChildSession& session, std::string task_id);

  // Reports `fraction` (0..1) with an optional message. Returns false once
  // the task no longer belongs to this worker, because it was cancelled or
  // taken over after its lease expired. The caller should then stop working
  // on it.
  bool Report(double fraction, const std::optional<std::string>& message = std::nullopt);

 private:
  queue::TaskQueue& queue_;
  ChildSession& session_;
  std::string task_id_;
  bool reported_ = false;
  double last_report_ = 0;
  bool ours_ = true;
};

}  // namespace msearch::runtime
