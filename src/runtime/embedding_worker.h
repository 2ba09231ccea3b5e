#pragma once

#include "config/config.h"
#include "runtime/child_session.h"

namespace msearch::runtime {

// Main loop of an embedding worker process. It registers, sends heartbeats
// and waits for work. No embedding model runs in this version, so it claims
// no tasks and leaves any "embed" task queued for a build that has one.
// Returns the process exit code.
int RunEmbeddingWorker(const config::Config& config, const ChildIdentity& identity);

}  // namespace msearch::runtime
