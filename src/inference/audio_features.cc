#include "inference/audio_features.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>

#include <fmt/format.h>

#include "common/json_parse.h"
#include "inference/model_error.h"

namespace msearch::inference {
namespace {

using nlohmann::json;

// Slaney mel scale constants (librosa and transformers 4.27).
constexpr double kSlaneyLinearStep = 200.0 / 3.0;  // Hz per mel below 1 kHz
constexpr double kSlaneyLogHz = 1000.0;
constexpr double kSlaneyLogMel = kSlaneyLogHz / kSlaneyLinearStep;
const double kSlaneyLogStep = std::log(6.4) / 27.0;

double HertzToMel(double hertz, MelScale scale) {
  if (scale == MelScale::kHtk) return 2595.0 * std::log10(1.0 + hertz / 700.0);
  if (hertz >= kSlaneyLogHz) return kSlaneyLogMel + std::log(hertz / kSlaneyLogHz) / kSlaneyLogStep;
  return hertz / kSlaneyLinearStep;
}

double MelToHertz(double mel, MelScale scale) {
  if (scale == MelScale::kHtk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel >= kSlaneyLogMel) return kSlaneyLogHz * std::exp(kSlaneyLogStep * (mel - kSlaneyLogMel));
  return kSlaneyLinearStep * mel;
}

// numpy.linspace(start, stop, count): start + i * step, the last value exact.
double Linspace(double start, double stop, int count, int i) {
  if (i == count - 1) return stop;
  return i * ((stop - start) / (count - 1)) + start;
}

// Fills the `left` and `right` pads of `buffer` as numpy.pad(mode="reflect")
// pads a short array: repeated reflections about the current edges, each at
// most (current length - 1) samples long.
void ReflectPad(std::vector<double>& buffer, int left, int right) {
  int low = left;
  int high = static_cast<int>(buffer.size()) - right;
  while (left > 0 || right > 0) {
    const int old_length = high - low;
    if (left > 0) {
      const int chunk = std::min(old_length - 1, left);
      for (int k = 1; k <= chunk; ++k) buffer[low - k] = buffer[low + k];
      low -= chunk;
      left -= chunk;
    }
    if (right > 0) {
      const int chunk = std::min(old_length - 1, right);
      for (int k = 1; k <= chunk; ++k) buffer[high - 1 + k] = buffer[high - 1 - k];
      high += chunk;
      right -= chunk;
    }
  }
}

AudioPadding ParsePadding(const std::string& name) {
  if (name == "repeatpad") return AudioPadding::kRepeatPad;
  if (name == "repeat") return AudioPadding::kRepeat;
  return AudioPadding::kZeros;
}

int ReadInt(const json& document, const char* key, int fallback, const std::string& source) {
  auto found = document.find(key);
  if (found == document.end() || found->is_null()) return fallback;
  if (!found->is_number_integer() || found->get<int64_t>() < 1 ||
      found->get<int64_t>() > (1 << 24)) {
    throw ModelError(fmt::format("{}: {} is {}, expected an integer from 1 to {}", source, key,
                                 found->dump(), 1 << 24));
  }
  return found->get<int>();
}

double ReadNumber(const json& document, const char* key, double fallback,
                  const std::string& source) {
  auto found = document.find(key);
  if (found == document.end() || found->is_null()) return fallback;
  if (!found->is_number()) {
    throw ModelError(fmt::format("{}: {} is {}, expected a number", source, key, found->dump()));
  }
  return found->get<double>();
}

std::string ReadString(const json& document, const char* key, const std::string& fallback,
                       const std::string& source) {
  auto found = document.find(key);
  if (found == document.end() || found->is_null()) return fallback;
  if (!found->is_string()) {
    throw ModelError(fmt::format("{}: {} is {}, expected a string", source, key, found->dump()));
  }
  return found->get<std::string>();
}

}  // namespace

AudioFeatureConfig ParseAudioFeatureConfig(const json& document, const std::string& source) {
  if (!document.is_object()) throw ModelError(fmt::format("{}: expected a JSON object", source));
  const std::string type =
      ReadString(document, "feature_extractor_type", "ClapFeatureExtractor", source);
  if (type != "ClapFeatureExtractor") {
    throw ModelError(
        fmt::format("{}: feature_extractor_type is '{}'; the CLAP model needs ClapFeatureExtractor",
                    source, type));
  }

  AudioFeatureConfig config;
  config.sampling_rate = ReadInt(document, "sampling_rate", config.sampling_rate, source);
  config.feature_size = ReadInt(document, "feature_size", config.feature_size, source);
  config.fft_window_size = ReadInt(document, "fft_window_size", config.fft_window_size, source);
  config.hop_length = ReadInt(document, "hop_length", config.hop_length, source);
  config.max_length_s = ReadInt(document, "max_length_s", config.max_length_s, source);
  config.frequency_min = ReadNumber(document, "frequency_min", config.frequency_min, source);
  config.frequency_max = ReadNumber(document, "frequency_max", config.frequency_max, source);
  config.padding = ParsePadding(ReadString(document, "padding", "repeatpad", source));
  config.fusion = ReadString(document, "truncation", "fusion", source) == "fusion";

  auto top_db = document.find("top_db");
  if (top_db != document.end() && !top_db->is_null()) {
    config.top_db = ReadNumber(document, "top_db", 0, source);
  }

  if (!(config.frequency_min >= 0 && config.frequency_min < config.frequency_max &&
        config.frequency_max <= config.sampling_rate / 2.0)) {
    throw ModelError(fmt::format(
        "{}: frequency range [{}, {}] Hz is invalid for sampling_rate {}: expected 0 <= min < "
        "max <= sampling_rate / 2",
        source, config.frequency_min, config.frequency_max, config.sampling_rate));
  }
  if (config.window_samples() < config.fft_window_size) {
    throw ModelError(fmt::format("{}: max_length_s {} is shorter than one FFT window", source,
                                 config.max_length_s));
  }
  if (config.window_samples() > (int64_t{1} << 31)) {
    throw ModelError(fmt::format("{}: max_length_s {} at {} Hz is too long", source,
                                 config.max_length_s, config.sampling_rate));
  }
  return config;
}

AudioFeatureConfig LoadAudioFeatureConfig(const std::filesystem::path& model_dir) {
  const std::filesystem::path path = model_dir / "preprocessor_config.json";
  std::ifstream file(path);
  if (!file) return AudioFeatureConfig{};
  std::stringstream text;
  text << file.rdbuf();
  json document;
  try {
    document = ParseJsonLimited(text.str());
  } catch (const std::exception& error) {
    throw ModelError(fmt::format("'{}' is not valid JSON: {}", path.string(), error.what()));
  }
  return ParseAudioFeatureConfig(document, "'" + path.string() + "'");
}

std::vector<double> MelFilterBank(int num_frequency_bins, int num_mel_filters, double frequency_min,
                                  double frequency_max, int sample_rate, MelScale scale) {
  // sample_rate // 2 in the reference: an integer division.
  const double nyquist = static_cast<double>(sample_rate / 2);
  std::vector<double> bin_hertz(num_frequency_bins);
  for (int i = 0; i < num_frequency_bins; ++i) {
    bin_hertz[i] = Linspace(0.0, nyquist, num_frequency_bins, i);
  }
  const double mel_min = HertzToMel(frequency_min, scale);
  const double mel_max = HertzToMel(frequency_max, scale);
  const int num_points = num_mel_filters + 2;
  std::vector<double> point_hertz(num_points);
  for (int i = 0; i < num_points; ++i) {
    point_hertz[i] = MelToHertz(Linspace(mel_min, mel_max, num_points, i), scale);
  }

  std::vector<double> bank(static_cast<size_t>(num_frequency_bins) * num_mel_filters);
  for (int bin = 0; bin < num_frequency_bins; ++bin) {
    for (int m = 0; m < num_mel_filters; ++m) {
      const double down =
          -(point_hertz[m] - bin_hertz[bin]) / (point_hertz[m + 1] - point_hertz[m]);
      const double up =
          (point_hertz[m + 2] - bin_hertz[bin]) / (point_hertz[m + 2] - point_hertz[m + 1]);
      double weight = std::max(0.0, std::min(down, up));
      if (scale == MelScale::kSlaney) weight *= 2.0 / (point_hertz[m + 2] - point_hertz[m]);
      bank[static_cast<size_t>(bin) * num_mel_filters + m] = weight;
    }
  }
  return bank;
}

std::vector<AudioWindow> SplitIntoWindows(int64_t num_samples, int64_t window_samples) {
  std::vector<AudioWindow> windows;
  if (num_samples <= 0 || window_samples <= 0) return windows;
  if (num_samples <= window_samples) return {AudioWindow{0, num_samples}};
  int64_t begin = 0;
  for (; begin + window_samples <= num_samples; begin += window_samples) {
    windows.push_back({begin, begin + window_samples});
  }
  if (begin < num_samples) windows.push_back({num_samples - window_samples, num_samples});
  return windows;
}

LogMelExtractor::LogMelExtractor(const AudioFeatureConfig& config)
    : config_(config), fft_(config.fft_window_size) {
  const int size = config.fft_window_size;
  window_.resize(size);
  for (int n = 0; n < size; ++n) {
    window_[n] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * n / size);
  }
  const int bins = size / 2 + 1;
  const std::vector<double> bank =
      MelFilterBank(bins, config.feature_size, config.frequency_min, config.frequency_max,
                    config.sampling_rate, config.mel_scale());
  first_bin_.assign(config.feature_size, 0);
  weights_.assign(config.feature_size, {});
  for (int m = 0; m < config.feature_size; ++m) {
    int first = bins;
    int last = -1;
    for (int bin = 0; bin < bins; ++bin) {
      if (bank[static_cast<size_t>(bin) * config.feature_size + m] != 0.0) {
        first = std::min(first, bin);
        last = bin;
      }
    }
    if (last < 0) continue;  // an empty filter gives the 1e-10 floor
    first_bin_[m] = first;
    for (int bin = first; bin <= last; ++bin) {
      weights_[m].push_back(bank[static_cast<size_t>(bin) * config.feature_size + m]);
    }
  }
}

void LogMelExtractor::ExtractFrame(const std::vector<double>& signal, int frame,
                                   double* frame_buffer, std::complex<double>* spectrum,
                                   std::complex<double>* scratch, float* output) const {
  const int size = config_.fft_window_size;
  const int64_t length = static_cast<int64_t>(signal.size());
  const int64_t half = (size - 1) / 2 + 1;
  const int64_t center = static_cast<int64_t>(frame) * config_.hop_length;
  // The reference slices [center - half, center + half) and reflect-pads
  // each frame on its own where it crosses an end of the signal.
  const int64_t begin = center > half ? center - half : 0;
  const int64_t end = center < length - half ? center + half : length;
  const int left = begin == 0 ? static_cast<int>(half - center) : 0;
  const int right = begin != 0 && end == length ? static_cast<int>(center - length + half) : 0;
  if (left == 0 && right == 0) {
    for (int n = 0; n < size; ++n) frame_buffer[n] = signal[begin + n] * window_[n];
  } else {
    std::vector<double> padded(static_cast<size_t>(left + (end - begin) + right));
    std::copy(signal.begin() + begin, signal.begin() + end, padded.begin() + left);
    ReflectPad(padded, left, right);
    for (int n = 0; n < size; ++n) {
      frame_buffer[n] = n < static_cast<int>(padded.size()) ? padded[n] * window_[n] : 0.0;
    }
  }
  fft_.Forward(frame_buffer, spectrum, scratch);

  // The reference keeps the spectrum as complex64 and squares |X| in float32.
  const int bins = size / 2 + 1;
  std::vector<float> power(bins);
  for (int bin = 0; bin < bins; ++bin) {
    const float magnitude = std::hypot(static_cast<float>(spectrum[bin].real()),
                                       static_cast<float>(spectrum[bin].imag()));
    power[bin] = magnitude * magnitude;
  }
  for (int m = 0; m < config_.feature_size; ++m) {
    double mel = 0.0;
    const std::vector<double>& weights = weights_[m];
    for (size_t k = 0; k < weights.size(); ++k) mel += weights[k] * power[first_bin_[m] + k];
    output[m] = static_cast<float>(10.0 * std::log10(std::max(mel, 1e-10)));
  }
}

void LogMelExtractor::Extract(ThreadPool& pool, std::span<const float> samples,
                              float* output) const {
  const int64_t window = config_.window_samples();
  if (samples.empty() || static_cast<int64_t>(samples.size()) > window) {
    throw ModelError(fmt::format(
        "audio window has {} samples; expected 1 to {} ({} s at {} Hz), split longer audio with "
        "SplitIntoWindows",
        samples.size(), window, config_.max_length_s, config_.sampling_rate));
  }
  for (float sample : samples) {
    if (!std::isfinite(sample)) {
      throw ModelError("audio contains a NaN or infinite sample; decode it again or drop it");
    }
  }
  // Bring the window to its full length the way the reference pads (it
  // works in float64).
  std::vector<double> signal(window, 0.0);
  const int64_t count = static_cast<int64_t>(samples.size());
  int64_t filled = count;
  if (config_.padding == AudioPadding::kRepeatPad) {
    filled = window / count * count;
  } else if (config_.padding == AudioPadding::kRepeat) {
    filled = window;
  }
  for (int64_t i = 0; i < filled; ++i) signal[i] = samples[i % count];

  const int frames = num_frames();
  const int size = config_.fft_window_size;
  constexpr int kFramesPerTask = 16;
  const int tasks = (frames + kFramesPerTask - 1) / kFramesPerTask;
  pool.ParallelFor(tasks, [&](int task) {
    std::vector<double> frame_buffer(size);
    std::vector<std::complex<double>> spectrum(size / 2 + 1);
    std::vector<std::complex<double>> scratch(size / 2);
    const int last = std::min(frames, (task + 1) * kFramesPerTask);
    for (int frame = task * kFramesPerTask; frame < last; ++frame) {
      ExtractFrame(signal, frame, frame_buffer.data(), spectrum.data(), scratch.data(),
                   output + static_cast<size_t>(frame) * config_.feature_size);
    }
  });

  if (config_.top_db) {
    const size_t total = static_cast<size_t>(frames) * config_.feature_size;
    const float floor =
        *std::max_element(output, output + total) - static_cast<float>(*config_.top_db);
    for (size_t i = 0; i < total; ++i) output[i] = std::max(output[i], floor);
  }
}

}  // namespace msearch::inference
