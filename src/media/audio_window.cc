#include "media/audio_window.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/error.h"

namespace msearch::media {
namespace {

int64_t ToSamples(double seconds, int sample_rate) {
  return static_cast<int64_t>(std::llround(seconds * sample_rate));
}

double ToSeconds(int64_t samples, int sample_rate) {
  return static_cast<double>(samples) / static_cast<double>(sample_rate);
}

void RequireSampleRate(int sample_rate) {
  if (sample_rate <= 0) {
    throw Error(fmt::format("invalid audio sample rate {} Hz for windows: expected more than 0",
                            sample_rate));
  }
}

// Whether a trailing window that starts at `start` and ends the audio at
// `total` is emitted, after `emitted` full windows ending at
// `previous_end`.
bool KeepPartialWindow(int64_t start, int64_t total, int emitted, int64_t previous_end,
                       int64_t min_audio, int64_t min_last) {
  if (start >= total || total < min_audio) return false;
  if (emitted == 0) return true;
  int64_t new_audio = total - std::max(previous_end, start);
  return new_audio > 0 && new_audio >= min_last;
}

}  // namespace

void ValidateAudioWindowOptions(const AudioWindowOptions& options) {
  if (!(options.window_seconds > 0) || !std::isfinite(options.window_seconds)) {
    throw Error(fmt::format("invalid audio window length {} s: expected more than 0",
                            options.window_seconds));
  }
  if (!(options.hop_seconds > 0) || !std::isfinite(options.hop_seconds)) {
    throw Error(
        fmt::format("invalid audio window hop {} s: expected more than 0", options.hop_seconds));
  }
  if (!(options.min_audio_seconds >= 0 && options.min_audio_seconds <= options.window_seconds)) {
    throw Error(fmt::format(
        "invalid minimum audio length {} s for windows: expected 0 to the window length {} s",
        options.min_audio_seconds, options.window_seconds));
  }
  if (!(options.min_last_window_seconds >= 0)) {
    throw Error(fmt::format("invalid minimum last window length {} s: expected 0 or more",
                            options.min_last_window_seconds));
  }
}

std::vector<AudioWindowSpan> PlanAudioWindows(int64_t sample_count, int sample_rate,
                                              const AudioWindowOptions& options) {
  ValidateAudioWindowOptions(options);
  RequireSampleRate(sample_rate);
  int64_t window = std::max<int64_t>(ToSamples(options.window_seconds, sample_rate), 1);
  int64_t hop = std::max<int64_t>(ToSamples(options.hop_seconds, sample_rate), 1);
  int64_t min_audio = ToSamples(options.min_audio_seconds, sample_rate);
  int64_t min_last = ToSamples(options.min_last_window_seconds, sample_rate);

  std::vector<AudioWindowSpan> spans;
  if (sample_count < min_audio) return spans;
  int64_t start = 0;
  int64_t previous_end = 0;
  for (; start + window <= sample_count; start += hop) {
    spans.push_back({ToSeconds(start, sample_rate), ToSeconds(start + window, sample_rate), false});
    previous_end = start + window;
  }
  if (KeepPartialWindow(start, sample_count, static_cast<int>(spans.size()), previous_end,
                        min_audio, min_last)) {
    bool padded = options.last_window_fill == LastWindowFill::kPadWithSilence;
    spans.push_back({ToSeconds(start, sample_rate), ToSeconds(sample_count, sample_rate), padded});
  }
  return spans;
}

AudioWindower::AudioWindower(int sample_rate, const AudioWindowOptions& options,
                             WindowCallback callback)
    : sample_rate_(sample_rate), options_(options), callback_(std::move(callback)) {
  ValidateAudioWindowOptions(options);
  RequireSampleRate(sample_rate);
  window_samples_ = std::max<int64_t>(ToSamples(options.window_seconds, sample_rate), 1);
  hop_samples_ = std::max<int64_t>(ToSamples(options.hop_seconds, sample_rate), 1);
  min_audio_samples_ = ToSamples(options.min_audio_seconds, sample_rate);
  min_last_samples_ = ToSamples(options.min_last_window_seconds, sample_rate);
  buffer_.reserve(static_cast<size_t>(window_samples_));
}

void AudioWindower::Add(std::span<const float> samples) {
  int64_t position = total_samples_;  // stream index of samples[0]
  total_samples_ += static_cast<int64_t>(samples.size());
  if (finished_) return;

  // Appending at most up to one window at a time keeps the buffer at one
  // window even when a caller passes a whole file in one span.
  while (!samples.empty()) {
    if (position < next_window_start_) {
      // A hop longer than the window leaves gaps that no window covers.
      auto skip = static_cast<size_t>(
          std::min<int64_t>(next_window_start_ - position, static_cast<int64_t>(samples.size())));
      samples = samples.subspan(skip);
      position += static_cast<int64_t>(skip);
      continue;
    }
    size_t room = static_cast<size_t>(window_samples_) - buffer_.size();
    size_t take = std::min(room, samples.size());
    buffer_.insert(buffer_.end(), samples.begin(), samples.begin() + static_cast<ptrdiff_t>(take));
    samples = samples.subspan(take);
    position += static_cast<int64_t>(take);
    EmitFullWindows();
  }
}

void AudioWindower::EmitFullWindows() {
  while (static_cast<int64_t>(buffer_.size()) >= window_samples_) {
    Emit(next_window_start_, window_samples_, /*partial=*/false);
    previous_window_end_ = next_window_start_ + window_samples_;
    next_window_start_ += hop_samples_;
    if (hop_samples_ >= window_samples_) {
      buffer_.clear();
    } else {
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(hop_samples_));
    }
  }
}

void AudioWindower::Emit(int64_t start, int64_t real_samples, bool partial) {
  AudioWindow window;
  window.index = emitted_;
  window.start_seconds = ToSeconds(start, sample_rate_);
  window.end_seconds = ToSeconds(start + real_samples, sample_rate_);
  if (partial && options_.last_window_fill == LastWindowFill::kPadWithSilence) {
    buffer_.resize(static_cast<size_t>(window_samples_), 0.0f);
    window.padded = real_samples < window_samples_;
  }
  size_t count = partial && !window.padded ? static_cast<size_t>(real_samples) : buffer_.size();
  window.samples = std::span<const float>(buffer_.data(), std::min(count, buffer_.size()));
  ++emitted_;
  callback_(window);
}

int AudioWindower::Finish() {
  if (finished_) return emitted_;
  finished_ = true;
  if (KeepPartialWindow(next_window_start_, total_samples_, emitted_, previous_window_end_,
                        min_audio_samples_, min_last_samples_)) {
    Emit(next_window_start_, total_samples_ - next_window_start_, /*partial=*/true);
  }
  buffer_.clear();
  buffer_.shrink_to_fit();
  return emitted_;
}

}  // namespace msearch::media
