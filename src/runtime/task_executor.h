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
#include "pipeline/analysis_options.h"
#include "queue/task.h"
#include "store/catalog.h"
#include "store/extraction_store.h"

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

// Builds the embed task of one analysed file for the embedding workers:
// `modality` "image" embeds a still image, "video" the picked frames of its
// video segments, "audio" the windows of its audio track.
queue::NewTask MakeEmbedTask(int64_t file_id, const std::string& path, int64_t directory_id,
                             const std::string& modality);

// Builds the analyze task of one probed file.
queue::NewTask MakeAnalyzeTask(int64_t file_id, const std::string& path, int64_t directory_id);

// Settings of TaskExecutor.
struct TaskExecutorOptions {
  // If true, analyze adds embed tasks to its follow-ups and hands video
  // frames over in shared memory for them. Set it only in callers that queue
  // follow-ups for the embedding workers (the task worker). msearch index
  // --once runs follow-ups in place and cannot run embed tasks, and the
  // scheduler queues the embeddings of what it indexed once a server runs.
  bool queue_embeddings = false;
};

// Runs the task worker's tasks against the catalog:
//   probe      reads the file's facts (dimensions, duration, streams, tags),
//              its sampled content hash and its thumbnail, marks it indexed
//              or failed, and queues an analyze task. A file whose content
//              is already analysed under another path (a copy) takes over
//              that file's results instead;
//   analyze    extracts video segments with thumbnails, audio windows, OCR
//              text, the audio fingerprint and perceptual hashes. With
//              TaskExecutorOptions::queue_embeddings, it also queues
//              embed tasks for an image, the segments of a video and an
//              audio track whose model is configured. A task waits while its
//              model is not installed. With the image model installed, the
//              model frames of a video's segments go with the task in shared
//              memory blocks (data "blocks", see FrameHandoffWriter). The
//              caller must remove them if the queue does not accept the task;
//   thumbnail  writes a JPEG thumbnail under storage.thumbnail_dir again.
// Follow-up tasks go to `follow_ups`, so the caller decides whether to queue
// them or run them in place (msearch index --once).
class TaskExecutor {
 public:
  TaskExecutor(const config::Config& config, store::Catalog& catalog,
               TaskExecutorOptions options = {});

  // Runs one task and returns its result. Throws TaskFailure.
  nlohmann::json Run(const std::string& type, const nlohmann::json& data,
                     std::vector<queue::NewTask>* follow_ups);

 private:
  nlohmann::json Probe(int64_t file_id, std::vector<queue::NewTask>* follow_ups);
  nlohmann::json Analyze(int64_t file_id, std::vector<queue::NewTask>* follow_ups);
  nlohmann::json Thumbnail(int64_t file_id);
  // Finds an analysed file with the same full content as `file` and copies
  // its results and thumbnails to `file`. Returns the uuid of the original.
  std::optional<std::string> TakeOverDuplicate(const store::FileRecord& file,
                                               const std::string& content_hash);
  std::filesystem::path ThumbnailPath(const std::string& uuid) const;
  std::filesystem::path SegmentThumbnailDir(const std::string& uuid) const;
  media::DecodeLimits DecodeLimits() const;

  const config::Config& config_;
  store::Catalog& catalog_;
  TaskExecutorOptions options_;
  store::ExtractionStore extraction_;
  pipeline::AnalysisOptions analysis_options_;
};

}  // namespace msearch::runtime
