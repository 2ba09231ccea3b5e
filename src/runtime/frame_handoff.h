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
  std::string prefix;  // the instance's shared memory prefix
  // A block holds whole consecutive segments, up to this many and, unless a
  // single segment is larger, up to this many bytes, so the writer buffers
  // at most one block and a long video never needs one huge block.
  int max_segments_per_block = 16;
  size_t max_block_bytes = size_t{32} << 20;
  // All blocks of the prefix together stay below this; segments beyond it
  // are not handed over, and the embedding worker decodes their frames
  // itself. 0: DefaultHandoffBudget().
  size_t budget_bytes = 0;
};

// A quarter of /dev/shm, at most 512 MiB, so frames waiting for the
// embedding workers leave most of the shared memory to other programs.
size_t DefaultHandoffBudget();

// Turns a model frame of the media pipeline into the pixels handed over.
using FrameReducer = std::function<preprocess::RgbImage(const media::RgbImage&)>;

// The reducer for the image model in `model_dir`: its resize and centre
// crop, when applying them again changes nothing, so the embedding worker
// computes exactly what it would from the full frame while the block holds
// only what the model sees (224x224 instead of 448x796 for CLIP). Otherwise,
// or when the model's preprocessor_config.json cannot be read, frames are
// handed over whole.
FrameReducer ModelFrameReducer(const std::filesystem::path& model_dir);

// Hands the model frames of a video's segments to the embedding workers
// through shared memory blocks, while the task worker analyses the video.
// Blocks are written as groups of segments fill up, so memory stays bounded
// however long the video is.
//
// Ownership: the writer owns its blocks until Release(); its destructor
// removes those not released, so a failed analysis leaves none. After
// Release() the names belong to whoever got them from Finish() (the embed
// task). Not thread-safe.
class FrameHandoffWriter {
 public:
  FrameHandoffWriter(FrameHandoffOptions options, FrameBlockKey key, FrameReducer reduce);
  ~FrameHandoffWriter();

  FrameHandoffWriter(const FrameHandoffWriter&) = delete;
  FrameHandoffWriter& operator=(const FrameHandoffWriter&) = delete;

  // Takes the frames of `segment`. Never throws: when the memory budget is
  // reached or the system refuses a block, the hand-off stops with a log
  // line, and later segments are left to the embedding worker's own decode.
  void Add(const media::VideoSegment& segment);

  // Writes the last group and returns the names of all blocks, in segment
  // order.
  std::vector<std::string> Finish();

  // Hands the blocks over: the destructor no longer removes them.
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

// The block names in the data of an embed task ("blocks"); none when the
// key is missing or malformed.
std::vector<std::string> FrameBlocksOf(const nlohmann::json& task_data);

// Removes the blocks `names`, for example those of an embed task that was
// not queued. Missing blocks are ignored.
void UnlinkFrameBlocks(const std::vector<std::string>& names);

}  // namespace msearch::runtime
