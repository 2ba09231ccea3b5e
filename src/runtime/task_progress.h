#pragma once

#include <optional>
#include <string>

#include "queue/task_queue.h"
#include "runtime/child_session.h"

namespace msearch::runtime {

// Reports how far a worker is with one long task: in the task's progress
// field in the queue (which the task list shows) and to the main process as
// an IPC "progress" message. The first call reports, later ones at most
// once a second however often Report is called. Not thread-safe.
class TaskProgress {
 public:
  TaskProgress(queue::TaskQueue& queue, ChildSession& session, std::string task_id);

  // Reports `fraction` (0..1) with an optional message. Returns false once
  // the task is no longer this worker's (cancelled, or taken over after its
  // lease expired): the caller should stop working on it.
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
