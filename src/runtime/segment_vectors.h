#pragma once

#include <cstddef>
#include <map>
#include <vector>

#include "embedding/encoder.h"
#include "preprocess/rgb_image.h"

namespace msearch::runtime {

// Embeds the frames of video segments in batches and makes one vector per
// segment: the normalised mean of its frames' vectors.
//
// The frames' vectors are unit length, and the direction of their mean
// maximises the summed cosine similarity to all of them. So a query that
// matches what the segment shows for most of its length scores it well.
// One vector per segment keeps the index small and lets a search return the
// segment with its times. A vector per frame would return near-duplicates
// of each segment.
//
// Frames of different segments share batches, so a video of short segments
// still runs the model on full batches. Not thread-safe.
class SegmentVectorBuilder {
 public:
  // `batch_size` is the number of frames per model call. Values below 1
  // count as 1.
  SegmentVectorBuilder(embedding::Encoder& encoder, int batch_size);

  // Queues a frame of segment `segment_index` and runs the model when the
  // batch is full. Throws what Encoder::EncodeImages throws.
  void Add(int segment_index, preprocess::RgbImage frame);

  // Runs the model on the frames still queued.
  void Flush();

  // Returns true when frames of segment `segment_index` were added.
  bool Has(int segment_index) const { return sums_.contains(segment_index); }
  size_t frames_encoded() const { return frames_encoded_; }

  // Returns the vector of each segment with frames, keyed by segment index.
  // Call Flush first, because frames still queued are not included.
  std::map<int, std::vector<float>> Vectors() const;

 private:
  embedding::Encoder& encoder_;
  size_t batch_size_;
  std::vector<preprocess::RgbImage> batch_;
  std::vector<int> batch_segments_;
  std::map<int, std::vector<double>> sums_;
  size_t frames_encoded_ = 0;
};

}  // namespace msearch::runtime
