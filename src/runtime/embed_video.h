#pragma once

#include <string>

#include "config/config.h"
#include "embedding/encoder.h"
#include "queue/task_queue.h"
#include "runtime/child_session.h"
#include "store/catalog.h"

namespace msearch::runtime {

// Model, stores and settings that an embedding worker uses to embed videos.
struct VideoEmbedJob {
  const config::Config& config;
  embedding::Encoder& encoder;  // image encoder
  std::string space;            // embedding space of the encoder
  store::Catalog& catalog;
  queue::TaskQueue& queue;
  ChildSession& session;
  int batch_size = 8;  // frames per model call
};

// Runs the embed task `task` of a video (modality "video"). It stores one
// vector per stored video segment in job.space: the normalised mean of the
// vectors of the frames that the media pipeline picked for the segment (see
// SegmentVectorBuilder).
//
// The frames come from the shared memory blocks that the task names, when a
// block matches the file's analysed content, its segments and the model.
// Segments without such a block are decoded from the file again. This
// happens when the model was missing at analysis or the block is gone or
// stale. The same segmentation picks the same frames, so no vector is lost.
//
// Completes or fails the task, reports progress, and removes the task's
// blocks once the task is done. Returns early, leaving the task to its new
// owner, when the task is cancelled or taken over meanwhile.
void EmbedVideo(const VideoEmbedJob& job, const queue::ClaimedTask& task);

}  // namespace msearch::runtime
