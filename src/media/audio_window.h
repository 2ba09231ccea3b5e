#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace msearch::media {

// Filling of a trailing window shorter than window_seconds.
enum class LastWindowFill {
  kPadWithSilence,  // zero samples appended up to the full window length
  kShorter,         // only the samples present
};

struct AudioWindowOptions {
  double window_seconds = 10.0;
  double hop_seconds = 10.0;  // start-to-start distance; less than the window overlaps
  // Audio shorter than this gives no window at all: the file is catalogued
  // but not embedded. At most window_seconds.
  double min_audio_seconds = 3.0;
  // A trailing partial window is emitted only when it covers at least this
  // much audio that no earlier window covered, so a 10.05 s file does not
  // yield a second window of 0.05 s audio and 9.95 s silence.
  double min_last_window_seconds = 1.0;
  LastWindowFill last_window_fill = LastWindowFill::kPadWithSilence;
};

// One window of audio for the audio embedding model. Times are seconds
// from the start of the decoded audio. end_seconds is where the real audio
// ends, so a padded last window has end_seconds - start_seconds shorter
// than its sample count implies.
struct AudioWindow {
  int index = 0;
  double start_seconds = 0;
  double end_seconds = 0;
  std::span<const float> samples;  // valid only during the callback
  bool padded = false;             // silence was appended to fill the window
};

// The time span of one window, without its samples.
struct AudioWindowSpan {
  double start_seconds = 0;
  double end_seconds = 0;
  bool padded = false;
};

// Throws msearch::Error when a length is not positive, min_audio_seconds is
// negative or longer than the window, or min_last_window_seconds is
// negative.
void ValidateAudioWindowOptions(const AudioWindowOptions& options);

// Returns the windows that AudioWindower emits for `sample_count` samples at
// `sample_rate`, by the same rules: windows start every hop at 0, hop,
// 2 x hop ... Every window that fits wholly is emitted. Then at most one
// partial window follows, the first that does not fit, when it adds at least
// min_last_window_seconds of new audio, or when it would be the only window
// and the audio lasts at least min_audio_seconds.
std::vector<AudioWindowSpan> PlanAudioWindows(int64_t sample_count, int sample_rate,
                                              const AudioWindowOptions& options);

// Cuts a stream of mono samples into windows as they arrive, so only one
// window of samples (plus the overlap with the next) is held in memory.
// Feed it from an AudioSink, then call Finish once at the end of the
// stream. Not thread-safe.
class AudioWindower {
 public:
  using WindowCallback = std::function<void(const AudioWindow& window)>;

  // Throws msearch::Error for invalid options (see ValidateAudioWindowOptions)
  // or a sample rate that is not positive.
  AudioWindower(int sample_rate, const AudioWindowOptions& options, WindowCallback callback);

  // Adds samples, calling the callback for each window they complete.
  void Add(std::span<const float> samples);

  // Emits the trailing partial window, if the rules above allow one.
  // Returns the number of windows emitted in total. Later calls do nothing.
  int Finish();

  int64_t sample_count() const { return total_samples_; }

 private:
  void EmitFullWindows();
  void Emit(int64_t start, int64_t real_samples, bool partial);

  int sample_rate_;
  AudioWindowOptions options_;
  WindowCallback callback_;
  int64_t window_samples_;
  int64_t hop_samples_;
  int64_t min_audio_samples_;
  int64_t min_last_samples_;

  // Samples from next_window_start_ on, at most one window of them.
  std::vector<float> buffer_;
  int64_t next_window_start_ = 0;
  int64_t previous_window_end_ = 0;
  int64_t total_samples_ = 0;
  int emitted_ = 0;
  bool finished_ = false;
};

}  // namespace msearch::media
