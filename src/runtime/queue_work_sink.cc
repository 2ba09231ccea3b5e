#include "runtime/queue_work_sink.h"

#include <spdlog/spdlog.h>

#include "runtime/task_executor.h"

namespace msearch::runtime {

QueueWorkSink::QueueWorkSink(queue::TaskQueue& queue, std::string sender,
                             std::function<void(int)> notify)
    : queue_(queue), sender_(std::move(sender)), notify_(std::move(notify)) {}

void QueueWorkSink::FilesChanged(std::span<const store::UpsertOutcome> outcomes) {
  std::vector<queue::NewTask> tasks;
  tasks.reserve(outcomes.size());
  for (const store::UpsertOutcome& outcome : outcomes) {
    tasks.push_back(MakeProbeTask(outcome.file_id, outcome.path, outcome.directory_id, sender_));
  }
  if (tasks.empty()) return;
  try {
    int queued = 0;
    int rejected = 0;
    for (const queue::EnqueueResult& result : queue_.EnqueueBatch(tasks)) {
      if (result.outcome == queue::EnqueueOutcome::kEnqueued) ++queued;
      if (result.outcome == queue::EnqueueOutcome::kRejectedFull) ++rejected;
    }
    if (rejected > 0) {
      rejected_ += rejected;
      spdlog::warn(
          "task queue is full (ipc.task_queue.max_size = {}); {} file(s) wait in the catalog "
          "and are queued once there is room",
          queue_.options().max_size, rejected);
    }
    if (queued > 0 && notify_) notify_(queued);
  } catch (const std::exception& error) {
    // The files stay 'pending' in the catalog; the reconciler queues them.
    spdlog::error("cannot queue probe tasks for {} file(s): {}", tasks.size(), error.what());
  }
}

void QueueWorkSink::FilesRemoved(int64_t count) {
  if (count > 0) spdlog::info("{} file(s) removed from the catalog", count);
}

}  // namespace msearch::runtime
