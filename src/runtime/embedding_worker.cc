#include "runtime/embedding_worker.h"

#include <spdlog/spdlog.h>

#include "runtime/resource_limits.h"

namespace msearch::runtime {

int RunEmbeddingWorker(const config::Config& config, const ChildIdentity& identity) {
  ApplyMemoryLimit(config.processes.embedding_worker.memory_limit_mb, identity.process_id);
  ChildSession session(config, identity);
  spdlog::info(
      "{} ready (device {}, batch size {}); no embedding model is available yet, so it "
      "stays idle",
      identity.process_id, config.processes.embedding_worker.device,
      config.processes.embedding_worker.batch_size);
  while (!session.stop_requested()) {
    session.WaitForMessage(std::chrono::seconds(30));
  }
  spdlog::info("{} stopping", identity.process_id);
  return 0;
}

}  // namespace msearch::runtime
