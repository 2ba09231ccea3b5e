#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "config/config.h"
#include "media/decode_limits.h"
#include "queue/task.h"
#include "store/catalog.h"

namespace msearch::runtime {

// A task that did not succeed. `retryable` is false when running it again
// cannot help (a broken file), so the queue fails it at once.
class TaskFailure : public Error {
 public:
  TaskFailure(const std::string& message, bool retryable) : Error(message), retryable_(retryable) {}
  bool retryable() const { return retryable_; }

 private:
  bool retryable_;
};

// Builds the probe task of one catalogued file. Its dedupe key makes a
// second request for the same file, while the first still waits, a no-op.
queue::NewTask MakeProbeTask(int64_t file_id, const std::string& path, int64_t directory_id,
                             const std::string& sender);

// Runs the task worker's tasks against the catalog:
//   probe      reads the file's facts (dimensions, duration, streams, tags)
//              and its sampled content hash, marks it indexed or failed, and
//              queues a thumbnail task;
//   thumbnail  writes a JPEG thumbnail under storage.thumbnail_dir.
// Follow-up tasks go to `follow_ups`, so the caller decides whether to queue
// them or run them in place (msearch index --once).
class TaskExecutor {
 public:
  TaskExecutor(const config::Config& config, store::Catalog& catalog);

  // Runs one task and returns its result. Throws TaskFailure.
  nlohmann::json Run(const std::string& type, const nlohmann::json& data,
                     std::vector<queue::NewTask>* follow_ups);

 private:
  nlohmann::json Probe(int64_t file_id, std::vector<queue::NewTask>* follow_ups);
  nlohmann::json Thumbnail(int64_t file_id);
  std::filesystem::path ThumbnailPath(const std::string& uuid) const;
  media::DecodeLimits DecodeLimits() const;

  const config::Config& config_;
  store::Catalog& catalog_;
};

}  // namespace msearch::runtime
