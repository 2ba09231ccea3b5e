#pragma once

#include <string>

#include "config/config.h"
#include "embedding/encoder.h"
#include "queue/task_queue.h"
#include "runtime/child_session.h"
#include "store/catalog.h"

namespace msearch::runtime {

// The model, stores and settings with which an embedding worker embeds videos.
struct VideoEmbedJob {
  const config::Config& config;
  embedding::Encoder& encoder;  // the image model
  std::string space;            // its embedding space
  store::Catalog& catalog;
  queue::TaskQueue& queue;
  ChildSession& session;
  int batch_size = 8;  // frames per model call
};

// Runs the embed task `task` of a video (modality "video"): one vector per
// stored video segment, the normalised mean of the vectors of the frames
// the media pipeline picked for it (see SegmentVectorBuilder), stored in
// job.space against the segment rows.
//
// The frames come from the shared memory blocks the task names when a
// block matches the file's analysed content, the segments and the model.
// Segments without such a block (the model was missing at analysis, the
// block is gone or stale) are decoded from the file again with the same
// segmentation, which picks the same frames, so no vector is lost.
//
// Completes or fails the task, reports progress, and removes the task's
// blocks once the task is done. Stops, leaving the task to its new owner,
// when it is cancelled or taken over meanwhile.
void EmbedVideo(const VideoEmbedJob& job, const queue::ClaimedTask& task);

}  // namespace msearch::runtime
