#include "embedding/audio_chunks.h"

#include <iterator>

namespace msearch::embedding {

ChunkedAudioEncoder::ChunkedAudioEncoder(Encoder& encoder)
    : encoder_(encoder),
      sample_rate_(encoder.info().audio_sample_rate),
      chunk_samples_(static_cast<size_t>(kAudioChunkSeconds * sample_rate_)) {
  // Room for a chunk and one more decoded frame of up to 2 s, so the buffer
  // is allocated once for usual frame sizes.
  buffer_.reserve(chunk_samples_ + 2 * static_cast<size_t>(sample_rate_));
}

int ChunkedAudioEncoder::Append(std::span<const float> samples) {
  buffer_.insert(buffer_.end(), samples.begin(), samples.end());
  int chunks = 0;
  while (buffer_.size() >= chunk_samples_) {
    EmbedFront(chunk_samples_);
    ++chunks;
  }
  return chunks;
}

std::vector<AudioVector> ChunkedAudioEncoder::Finish() {
  if (!buffer_.empty() &&
      (windows_.empty() || buffer_.size() >= static_cast<size_t>(sample_rate_))) {
    EmbedFront(buffer_.size());
  }
  buffer_.clear();
  return std::move(windows_);
}

void ChunkedAudioEncoder::EmbedFront(size_t count) {
  for (AudioVector& window :
       encoder_.EncodeWaveform(std::span<const float>(buffer_.data(), count))) {
    window.start_seconds += offset_seconds_;
    window.end_seconds += offset_seconds_;
    windows_.push_back(std::move(window));
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(count));
  offset_seconds_ += static_cast<double>(count) / sample_rate_;
}

}  // namespace msearch::embedding
