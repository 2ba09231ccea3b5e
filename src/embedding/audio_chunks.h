#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "embedding/encoder.h"

namespace msearch::embedding {

// Seconds of audio per model call. A chunk consists of whole model windows
// (10 s for CLAP), so embedding a long waveform chunk by chunk gives the same
// windows as one call on the whole waveform. The buffer keeps one chunk (19 MB of
// float samples at 48 kHz) however long the file is.
// NOTE: this holds only for models whose window length divides 100 s.
inline constexpr double kAudioChunkSeconds = 100;

// Embeds a mono waveform that arrives in pieces, such as the output of
// media::DecodeAudio, in chunks of kAudioChunkSeconds. Window times count from
// the start of the whole waveform. Not thread-safe.
class ChunkedAudioEncoder {
 public:
  // Samples must be at encoder.info().audio_sample_rate.
  explicit ChunkedAudioEncoder(Encoder& encoder);

  // Appends `samples` and embeds every full chunk. Returns the number of
  // chunks embedded by this call. Throws what Encoder::EncodeWaveform throws.
  int Append(std::span<const float> samples);

  // Embeds the remaining samples and returns the windows of the whole
  // waveform. A tail under 1 s after full chunks is left out as too short to
  // matter. A waveform shorter than one chunk is always embedded.
  std::vector<AudioVector> Finish();

  // Seconds of audio embedded so far.
  double embedded_seconds() const { return offset_seconds_; }

 private:
  void EmbedFront(size_t count);

  Encoder& encoder_;
  int sample_rate_;
  size_t chunk_samples_;
  std::vector<float> buffer_;
  std::vector<AudioVector> windows_;
  double offset_seconds_ = 0;
};

}  // namespace msearch::embedding
