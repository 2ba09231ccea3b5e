#include "runtime/queue_options.h"

namespace msearch::runtime {

queue::QueueOptions QueueOptionsFromConfig(const config::Config& config) {
  const config::TaskQueueConfig& source = config.ipc.task_queue;
  queue::QueueOptions options;
  options.max_size = static_cast<size_t>(source.max_size);
  options.lease_seconds = source.lease_seconds;
  options.max_attempts = source.max_attempts;
  options.retry_base_seconds = source.retry_base_seconds;
  options.retry_max_seconds = source.retry_max_seconds;
  options.global_running_limit = source.max_running;
  options.type_running_limits = source.type_limits;
  return options;
}

}  // namespace msearch::runtime
