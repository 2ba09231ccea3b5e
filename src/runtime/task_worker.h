#pragma once

#include "config/config.h"
#include "runtime/child_session.h"

namespace msearch::runtime {

// Main loop of a task worker process: claims probe, analyze and thumbnail
// tasks one at a time, runs them (see TaskExecutor), queues their follow-up
// tasks, and waits for a "wake" from the main process (or a slow
// fallback timeout) when the queue is empty. A task running longer than
// processes.task_worker.task_timeout fails and the process exits, so the
// supervisor starts a fresh one. Returns the process exit code.
int RunTaskWorker(const config::Config& config, const ChildIdentity& identity);

}  // namespace msearch::runtime
