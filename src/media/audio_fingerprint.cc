#include "media/audio_fingerprint.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <chromaprint.h>
#include <fmt/format.h>

#include "common/error.h"

namespace msearch::media {
namespace {

// Chromaprint documents chromaprint_new and chromaprint_free as not
// reentrant when it is built with FFTW. Debian builds it with FFmpeg's FFT,
// but the lock is cheap next to fingerprinting, so any build is safe.
std::mutex chromaprint_lifetime_mutex;

struct ChromaprintDeleter {
  void operator()(ChromaprintContext* context) const {
    std::lock_guard lock(chromaprint_lifetime_mutex);
    chromaprint_free(context);
  }
};
using ChromaprintPtr = std::unique_ptr<ChromaprintContext, ChromaprintDeleter>;

ChromaprintPtr NewChromaprint(int algorithm) {
  if (algorithm < CHROMAPRINT_ALGORITHM_TEST1 || algorithm > CHROMAPRINT_ALGORITHM_TEST5) {
    throw Error(fmt::format("invalid Chromaprint algorithm {}: expected {} to {}", algorithm,
                            static_cast<int>(CHROMAPRINT_ALGORITHM_TEST1),
                            static_cast<int>(CHROMAPRINT_ALGORITHM_TEST5)));
  }
  std::lock_guard lock(chromaprint_lifetime_mutex);
  ChromaprintPtr context(chromaprint_new(algorithm));
  if (!context) throw Error("cannot create a Chromaprint context: out of memory");
  return context;
}

double ItemSeconds(ChromaprintContext* context) {
  return static_cast<double>(chromaprint_get_item_duration(context)) /
         static_cast<double>(chromaprint_get_sample_rate(context));
}

int16_t ToInt16(float sample) {
  float scaled = std::round(sample * 32767.0f);
  return static_cast<int16_t>(std::clamp(scaled, -32768.0f, 32767.0f));
}

}  // namespace

struct FingerprintBuilder::Context {
  ChromaprintPtr chromaprint;
};

double FingerprintItemSeconds(int algorithm) {
  ChromaprintPtr context = NewChromaprint(algorithm);
  return ItemSeconds(context.get());
}

FingerprintBuilder::FingerprintBuilder(int sample_rate, int algorithm)
    : context_(std::make_unique<Context>()), algorithm_(algorithm) {
  context_->chromaprint = NewChromaprint(algorithm);
  if (sample_rate <= 0 || chromaprint_start(context_->chromaprint.get(), sample_rate, 1) != 1) {
    throw Error(fmt::format(
        "Chromaprint cannot fingerprint audio at {} Hz; decode at 11025 Hz or more", sample_rate));
  }
}

FingerprintBuilder::~FingerprintBuilder() = default;

void FingerprintBuilder::Add(std::span<const float> samples) {
  // Chunks keep the 16-bit copy small and within chromaprint_feed's int size.
  constexpr size_t kChunk = 1 << 16;
  while (!samples.empty()) {
    size_t count = std::min(kChunk, samples.size());
    converted_.resize(count);
    std::transform(samples.begin(), samples.begin() + static_cast<ptrdiff_t>(count),
                   converted_.begin(), ToInt16);
    if (chromaprint_feed(context_->chromaprint.get(), converted_.data(), static_cast<int>(count)) !=
        1) {
      throw Error("Chromaprint failed to process audio samples");
    }
    samples = samples.subspan(count);
  }
}

AudioFingerprint FingerprintBuilder::Finish() {
  ChromaprintContext* chromaprint = context_->chromaprint.get();
  if (chromaprint_finish(chromaprint) != 1)
    throw Error("Chromaprint failed to finish a fingerprint");

  AudioFingerprint fingerprint;
  fingerprint.algorithm = algorithm_;
  fingerprint.item_seconds = ItemSeconds(chromaprint);
  int size = 0;
  if (chromaprint_get_raw_fingerprint_size(chromaprint, &size) != 1 || size <= 0) {
    return fingerprint;  // too little audio for one item
  }
  uint32_t* raw = nullptr;
  if (chromaprint_get_raw_fingerprint(chromaprint, &raw, &size) != 1 || raw == nullptr) {
    throw Error("Chromaprint failed to return a fingerprint");
  }
  fingerprint.items.assign(raw, raw + size);
  chromaprint_dealloc(raw);
  return fingerprint;
}

FileFingerprint FingerprintAudioFile(const std::filesystem::path& path,
                                     const FingerprintOptions& options) {
  constexpr int kChromaprintSampleRate = 11025;
  FingerprintBuilder builder(kChromaprintSampleRate, options.algorithm);
  AudioDecodeOptions decode_options;
  decode_options.sample_rate = kChromaprintSampleRate;
  decode_options.max_seconds = options.max_seconds;

  FileFingerprint result;
  result.audio = DecodeAudio(path, decode_options, [&](std::span<const float> samples) {
    builder.Add(samples);
    return true;
  });
  result.fingerprint = builder.Finish();
  return result;
}

}  // namespace msearch::media
