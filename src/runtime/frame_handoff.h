#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "media/video_segment.h"
#include "preprocess/rgb_image.h"
#include "runtime/frame_block.h"

namespace msearch::runtime {

// Settings of FrameHandoffWriter.
struct FrameHandoffOptions {
  std::string prefix;  // shared memory prefix of this instance
  // A block contains whole consecutive segments. It is written once it has
  // max_segments_per_block segments or at least max_block_bytes of pixels,
  // so the writer buffers at most one block and a long video never needs one
  // huge block. A block exceeds max_block_bytes by at most one segment.
  int max_segments_per_block = 16;
  size_t max_block_bytes = size_t{32} << 20;
  // Maximum bytes of all blocks of the prefix together. Segments beyond it
  // are not handed over, and the embedding worker decodes their frames
  // itself. 0 means DefaultHandoffBudget().
  size_t budget_bytes = 0;
};

// Returns a quarter of the size of /dev/shm, at most 512 MiB, so frames
// waiting for the embedding workers leave most of the shared memory to other
// programs. Returns 128 MiB when the size of /dev/shm cannot be read.
size_t DefaultHandoffBudget();

// Function that converts a model frame of the media pipeline into the pixels
// handed over.
using FrameReducer = std::function<preprocess::RgbImage(const media::RgbImage&)>;

// Returns the reducer for the image model in `model_dir`. It applies the
// model's resize and centre crop when applying them a second time changes
// nothing. So the embedding worker computes exactly what it would from the
// full frame, while the block contains only what the model sees (224x224 for
// CLIP instead of a full frame such as 448x796). Otherwise, or when the
// model's preprocessor_config.json cannot be read, frames are handed over
// whole.
FrameReducer ModelFrameReducer(const std::filesystem::path& model_dir);

// Hands the model frames of a video's segments to the embedding workers
// through shared memory blocks, while the task worker analyses the video.
// Blocks are written as groups of segments fill up, so memory stays bounded
// however long the video is.
//
// The writer owns its blocks until Release(). Its destructor removes the
// blocks not released, so a failed analysis leaves none. After Release(),
// the blocks belong to the holder of the names that Finish() returned (the
// embed task). Not thread-safe.
class FrameHandoffWriter {
 public:
  FrameHandoffWriter(FrameHandoffOptions options, FrameBlockKey key, FrameReducer reduce);
  ~FrameHandoffWriter();

  FrameHandoffWriter(const FrameHandoffWriter&) = delete;
  FrameHandoffWriter& operator=(const FrameHandoffWriter&) = delete;

  // Adds the frames of `segment` to the current group and writes the group
  // as a block when it is full. Never throws. When the memory budget is
  // reached, a block cannot be created or a segment has no frames, the
  // hand-off stops and the embedding worker decodes the later segments
  // itself. Errors and the budget stop are logged.
  void Add(const media::VideoSegment& segment);

  // Writes the last group and returns the names of all blocks, in segment
  // order.
  std::vector<std::string> Finish();

  // Hands the blocks over, so the destructor no longer removes them.
  void Release() { blocks_.clear(); }

  int segments_handed_over() const { return segments_handed_over_; }

 private:
  void Flush();

  FrameHandoffOptions options_;
  FrameBlockKey key_;
  FrameReducer reduce_;
  std::vector<SegmentFrame> group_;
  int group_segments_ = 0;
  size_t group_bytes_ = 0;
  std::vector<std::string> blocks_;
  int segments_handed_over_ = 0;
  bool stopped_ = false;
};

// Returns the block names in the "blocks" array of an embed task's data.
// Returns none when the key is missing or not an array, and skips entries
// that are not strings.
std::vector<std::string> FrameBlocksOf(const nlohmann::json& task_data);

// Removes the blocks `names`, for example those of an embed task that was
// not queued. Missing blocks are ignored.
void UnlinkFrameBlocks(const std::vector<std::string>& names);

}  // namespace msearch::runtime
