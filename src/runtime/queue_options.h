#pragma once

#include "config/config.h"
#include "queue/task_queue.h"

namespace msearch::runtime {

// Queue options from ipc.task_queue.
queue::QueueOptions QueueOptionsFromConfig(const config::Config& config);

}  // namespace msearch::runtime
