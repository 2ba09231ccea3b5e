#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "ipc/shared_buffer.h"
#include "preprocess/rgb_image.h"

namespace msearch::runtime {

// Error for a shared memory block that is not a valid frame block, because
// it is damaged or was written by another version.
class FrameBlockError : public Error {
 public:
  using Error::Error;
};

// Identity of a block's frames: the analysed content of one file (its size
// and modification time when analysed) and the embedding space whose model
// the frames were scaled for. A consumer uses a block only when every field
// matches what it embeds now.
struct FrameBlockKey {
  int64_t file_id = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::string space;

  friend bool operator==(const FrameBlockKey&, const FrameBlockKey&) = default;
};

// One frame of a video segment. The segment's times let the consumer check
// that it matches the stored segment of the same index.
struct SegmentFrame {
  int segment_index = 0;
  double segment_start_s = 0;
  double segment_end_s = 0;
  double time_s = 0;
  preprocess::RgbImage image;
};

// Returns the size in bytes of a block that contains `frames` under `key`.
size_t FrameBlockBytes(const FrameBlockKey& key, std::span<const SegmentFrame> frames);

// Writes `frames` into a new block of `prefix` and returns its name. The
// block outlives this call, so the caller must pass the name on or unlink it
// (see ipc::SharedBuffer). Throws ipc::SharedBufferError when the system
// cannot allocate the memory.
//
// Layout: the 8 bytes "MSFRAME1", the length of a JSON header as a 64-bit
// integer, the header (key and, per frame, segment, times, size and offset),
// zero padding to a multiple of 8, then the RGB pixels of each frame.
std::string WriteFrameBlock(std::string_view prefix, const FrameBlockKey& key,
                            std::span<const SegmentFrame> frames);

// A frame block mapped read-only. Movable. Destroying it removes the
// mapping, not the block.
class FrameBlock {
 public:
  // Location of a frame's pixels in the block, and its segment.
  struct Entry {
    int segment_index = 0;
    double segment_start_s = 0;
    double segment_end_s = 0;
    double time_s = 0;
    int width = 0;
    int height = 0;
    size_t offset = 0;  // from the start of the block
  };

  // Maps block `name` and checks its layout: every frame lies inside the
  // block. Throws ipc::SharedBufferError when the block does not exist
  // (its consumer or a sweep removed it) and FrameBlockError when its
  // content is not a frame block.
  static FrameBlock Open(const std::string& name);

  const FrameBlockKey& key() const { return key_; }
  const std::vector<Entry>& frames() const { return frames_; }
  // Returns a copy of the pixels of `frame`, which must be one of frames().
  preprocess::RgbImage Image(const Entry& frame) const;

 private:
  FrameBlock(ipc::SharedBuffer buffer, FrameBlockKey key, std::vector<Entry> frames)
      : buffer_(std::move(buffer)), key_(std::move(key)), frames_(std::move(frames)) {}

  ipc::SharedBuffer buffer_;
  FrameBlockKey key_;
  std::vector<Entry> frames_;
};

}  // namespace msearch::runtime
