#include "runtime/segment_vectors.h"

#include <algorithm>
#include <cmath>

namespace msearch::runtime {

SegmentVectorBuilder::SegmentVectorBuilder(embedding::Encoder& encoder, int batch_size)
    : encoder_(encoder), batch_size_(static_cast<size_t>(std::max(1, batch_size))) {}

void SegmentVectorBuilder::Add(int segment_index, preprocess::RgbImage frame) {
  // The segment counts as seen at once, so Has() returns true for queued frames too.
  sums_.try_emplace(segment_index);
  batch_.push_back(std::move(frame));
  batch_segments_.push_back(segment_index);
  if (batch_.size() >= batch_size_) Flush();
}

void SegmentVectorBuilder::Flush() {
  if (batch_.empty()) return;
  std::vector<std::vector<float>> vectors = encoder_.EncodeImages(batch_);
  for (size_t i = 0; i < vectors.size() && i < batch_segments_.size(); ++i) {
    std::vector<double>& sum = sums_[batch_segments_[i]];
    if (sum.empty()) sum.assign(vectors[i].size(), 0.0);
    for (size_t k = 0; k < sum.size() && k < vectors[i].size(); ++k) sum[k] += vectors[i][k];
  }
  frames_encoded_ += batch_.size();
  batch_.clear();
  batch_segments_.clear();
}

std::map<int, std::vector<float>> SegmentVectorBuilder::Vectors() const {
  std::map<int, std::vector<float>> vectors;
  for (const auto& [index, sum] : sums_) {
    double norm = 0;
    for (double value : sum) norm += value * value;
    norm = std::sqrt(norm);
    // Opposite frame vectors can cancel out. Such a segment gets no vector
    // rather than a meaningless one.
    if (sum.empty() || !(norm > 1e-12)) continue;
    std::vector<float>& vector = vectors[index];
    vector.reserve(sum.size());
    for (double value : sum) vector.push_back(static_cast<float>(value / norm));
  }
  return vectors;
}

}  // namespace msearch::runtime
