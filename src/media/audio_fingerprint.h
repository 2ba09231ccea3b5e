#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "media/audio_decode.h"

namespace msearch::media {

// Chromaprint's default algorithm (CHROMAPRINT_ALGORITHM_TEST2, the one
// AcoustID uses), as chromaprint.h 1.5 numbers it.
inline constexpr int kDefaultFingerprintAlgorithm = 1;

// A raw Chromaprint fingerprint: one 32-bit item per time step. Item i
// describes the audio from about i x item_seconds on, so the offset of a
// clip inside a longer recording is an item offset times item_seconds.
struct AudioFingerprint {
  std::vector<uint32_t> items;
  int algorithm = kDefaultFingerprintAlgorithm;
  // Seconds between items as Chromaprint reports them: 1365 samples at
  // 11025 Hz in Chromaprint 1.5.1, about 0.1238 s.
  double item_seconds = 0;

  double DurationSeconds() const { return static_cast<double>(items.size()) * item_seconds; }
};

// Returns the seconds between items of `algorithm`. Throws msearch::Error
// for an algorithm Chromaprint does not know.
double FingerprintItemSeconds(int algorithm);

// Computes a fingerprint from mono float samples fed in chunks, so a long
// recording never sits in memory. Chromaprint resamples to its own rate
// (11025 Hz), so any input rate works. The first item needs about 2.6 s of
// audio (a 4 s clip gives 11 items). Not thread-safe, but builders in different threads
// are independent.
class FingerprintBuilder {
 public:
  // Throws msearch::Error when Chromaprint rejects the rate or algorithm.
  explicit FingerprintBuilder(int sample_rate, int algorithm = kDefaultFingerprintAlgorithm);
  ~FingerprintBuilder();

  FingerprintBuilder(const FingerprintBuilder&) = delete;
  FingerprintBuilder& operator=(const FingerprintBuilder&) = delete;

  // Feeds samples, converted to 16-bit with clipping.
  void Add(std::span<const float> samples);

  // Processes the buffered audio and returns the fingerprint, with no
  // items for audio too short to fingerprint. Call once.
  AudioFingerprint Finish();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
  std::vector<int16_t> converted_;
  int algorithm_;
};

struct FingerprintOptions {
  int algorithm = kDefaultFingerprintAlgorithm;
  // Fingerprints only the first max_seconds; 0 takes the whole stream.
  double max_seconds = 0;
};

struct FileFingerprint {
  AudioFingerprint fingerprint;
  AudioDecodeResult audio;  // the decoding facts (duration, codec, corrupt packets)
};

// Decodes the first audio stream of `path`, an audio file or a video's
// sound track, and fingerprints it. Decodes at Chromaprint's own rate
// (11025 Hz), so Chromaprint does not resample again. Throws MediaError as
// DecodeAudio does. Thread-safe across calls.
FileFingerprint FingerprintAudioFile(const std::filesystem::path& path,
                                     const FingerprintOptions& options = {});

}  // namespace msearch::media
