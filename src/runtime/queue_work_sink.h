#pragma once

#include <functional>
#include <span>
#include <string>

#include "monitor/work_sink.h"
#include "queue/task_queue.h"

namespace msearch::runtime {

// Turns the file monitor's findings into probe tasks. Files the queue turns
// away because it is full stay 'pending' in the catalog, and the main
// process's reconciler queues them later, so no work is dropped.
class QueueWorkSink : public monitor::WorkSink {
 public:
  // `notify` runs after tasks were queued, to wake the workers.
  QueueWorkSink(queue::TaskQueue& queue, std::string sender, std::function<void(int)> notify);

  void FilesChanged(std::span<const store::UpsertOutcome> outcomes) override;
  void FilesRemoved(int64_t count) override;

  int64_t rejected() const { return rejected_; }

 private:
  queue::TaskQueue& queue_;
  std::string sender_;
  std::function<void(int)> notify_;
  int64_t rejected_ = 0;
};

}  // namespace msearch::runtime
