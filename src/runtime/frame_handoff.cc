#include "runtime/frame_handoff.h"

#include <algorithm>
#include <exception>
#include <memory>

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include "common/logging.h"
#include "ipc/shared_buffer.h"
#include "preprocess/image_processor.h"

namespace msearch::runtime {
namespace {

// Maximum of the default hand-off budget, in bytes.
constexpr size_t kMaxBudget = size_t{512} << 20;

LogRateLimiter& HandoffLogLimiter() {
  static LogRateLimiter limiter(5, std::chrono::seconds(60));
  return limiter;
}

preprocess::RgbImage ToPreprocessImage(const media::RgbImage& image) {
  preprocess::RgbImage out;
  out.width = image.width;
  out.height = image.height;
  out.pixels = image.rgb;
  return out;
}

size_t BytesInUse(const std::string& prefix) {
  size_t total = 0;
  for (const ipc::SharedBufferInfo& block : ipc::ListSharedBuffers(prefix)) total += block.bytes;
  return total;
}

}  // namespace

size_t DefaultHandoffBudget() {
  struct statvfs info {};
  if (statvfs("/dev/shm", &info) != 0) return kMaxBudget / 4;
  size_t capacity = static_cast<size_t>(info.f_blocks) * static_cast<size_t>(info.f_frsize);
  return std::min(kMaxBudget, capacity / 4);
}

FrameReducer ModelFrameReducer(const std::filesystem::path& model_dir) {
  std::shared_ptr<const preprocess::ImageProcessor> processor;
  try {
    processor = std::make_shared<const preprocess::ImageProcessor>(
        preprocess::ImageProcessor::Load(model_dir));
  } catch (const std::exception& error) {
    spdlog::warn(
        "failed to load the image preprocessor of {}, so video frames are handed to the "
        "embedding workers whole: {}",
        model_dir.string(), error.what());
    return ToPreprocessImage;
  }
  return [processor](const media::RgbImage& frame) {
    preprocess::RgbImage image = ToPreprocessImage(frame);
    preprocess::RgbImage reduced = processor->CenterCrop(processor->Resize(image));
    // The encoder runs the same steps on its input. If they would change the
    // reduced frame again, the whole frame is handed over instead.
    auto [width, height] = processor->ResizedSize(reduced.width, reduced.height);
    const preprocess::ImageProcessorConfig& config = processor->config();
    bool crop_keeps = !config.do_center_crop ||
                      (reduced.width == config.crop_width && reduced.height == config.crop_height);
    if (width != reduced.width || height != reduced.height || !crop_keeps) return image;
    return reduced;
  };
}

FrameHandoffWriter::FrameHandoffWriter(FrameHandoffOptions options, FrameBlockKey key,
                                       FrameReducer reduce)
    : options_(std::move(options)), key_(std::move(key)), reduce_(std::move(reduce)) {
  if (options_.budget_bytes == 0) options_.budget_bytes = DefaultHandoffBudget();
}

FrameHandoffWriter::~FrameHandoffWriter() { UnlinkFrameBlocks(blocks_); }

void FrameHandoffWriter::Add(const media::VideoSegment& segment) {
  if (stopped_ || segment.frames.empty()) {
    // Blocks contain consecutive segments, so one gap ends the hand-off.
    stopped_ = true;
    return;
  }
  try {
    for (const media::TimedFrame& frame : segment.frames) {
      SegmentFrame item;
      item.segment_index = segment.index;
      item.segment_start_s = segment.start_s;
      item.segment_end_s = segment.end_s;
      item.time_s = frame.time_s;
      item.image = reduce_(frame.image);
      group_bytes_ += item.image.pixels.size();
      group_.push_back(std::move(item));
    }
    ++group_segments_;
    if (group_segments_ >= options_.max_segments_per_block ||
        group_bytes_ >= options_.max_block_bytes) {
      Flush();
    }
  } catch (const std::exception& error) {
    size_t suppressed = 0;
    if (HandoffLogLimiter().Allow("error", &suppressed)) {
      spdlog::warn(
          "file {}: failed to hand over the video frames from segment {} on, so the embedding "
          "worker decodes them: {} ({} similar messages suppressed)",
          key_.file_id, segment.index, error.what(), suppressed);
    }
    group_.clear();
    stopped_ = true;
  }
}

std::vector<std::string> FrameHandoffWriter::Finish() {
  if (!stopped_) {
    try {
      Flush();
    } catch (const std::exception& error) {
      spdlog::warn(
          "file {}: failed to hand over the last video frames, so the embedding worker decodes "
          "them: {}",
          key_.file_id, error.what());
    }
  }
  group_.clear();
  stopped_ = true;
  return blocks_;
}

void FrameHandoffWriter::Flush() {
  if (group_.empty()) return;
  size_t bytes = FrameBlockBytes(key_, group_);
  size_t in_use = BytesInUse(options_.prefix);
  if (in_use + bytes > options_.budget_bytes) {
    size_t suppressed = 0;
    if (HandoffLogLimiter().Allow("budget", &suppressed)) {
      spdlog::info(
          "file {}: {} MiB of video frames already wait for the embedding workers (budget {} "
          "MiB), so the embedding worker decodes the frames from segment {} on ({} similar "
          "messages suppressed)",
          key_.file_id, in_use >> 20, options_.budget_bytes >> 20, group_.front().segment_index,
          suppressed);
    }
    group_.clear();
    stopped_ = true;
    return;
  }
  blocks_.push_back(WriteFrameBlock(options_.prefix, key_, group_));
  segments_handed_over_ += group_segments_;
  group_.clear();
  group_segments_ = 0;
  group_bytes_ = 0;
}

std::vector<std::string> FrameBlocksOf(const nlohmann::json& task_data) {
  std::vector<std::string> names;
  if (!task_data.is_object() || !task_data.contains("blocks") || !task_data["blocks"].is_array()) {
    return names;
  }
  for (const nlohmann::json& name : task_data["blocks"]) {
    if (name.is_string()) names.push_back(name.get<std::string>());
  }
  return names;
}

void UnlinkFrameBlocks(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    try {
      ipc::SharedBuffer::Unlink(name);
    } catch (const std::exception& error) {
      spdlog::warn("failed to remove shared buffer {}: {}", name, error.what());
    }
  }
}

}  // namespace msearch::runtime
