#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inference/audio_features_fft.h"
#include "inference/thread_pool.h"

namespace msearch::inference {

// Frequency scale of a mel filter bank.
enum class MelScale {
  kSlaney,  // linear below 1 kHz, logarithmic above, with Slaney area normalisation
  kHtk,     // 2595 log10(1 + f / 700), no normalisation
};

// Padding rule for a waveform shorter than the window.
enum class AudioPadding {
  kRepeatPad,  // "repeatpad": whole copies, then zeros
  kRepeat,     // "repeat": copies, the last one cut at the window end
  kZeros,      // "pad" (or any other value): zeros
};

// ClapFeatureExtractor settings from preprocessor_config.json (defaults are
// those of transformers 4.27).
struct AudioFeatureConfig {
  int sampling_rate = 48000;
  int feature_size = 64;  // mel bins
  int fft_window_size = 1024;
  int hop_length = 480;
  double frequency_min = 0;
  double frequency_max = 14000;
  int max_length_s = 10;
  AudioPadding padding = AudioPadding::kRepeatPad;
  // "fusion" selects the HTK filter bank and 4 feature channels; any other
  // truncation (the reference's "rand_trunc") the Slaney bank and 1 channel.
  bool fusion = false;
  std::optional<double> top_db;

  int64_t window_samples() const { return static_cast<int64_t>(max_length_s) * sampling_rate; }
  int num_frames() const { return static_cast<int>(window_samples() / hop_length) + 1; }
  MelScale mel_scale() const { return fusion ? MelScale::kHtk : MelScale::kSlaney; }
};

// Parses a preprocessor_config.json document; `source` names it in messages.
// Throws ModelError for a feature_extractor_type other than
// ClapFeatureExtractor, a key of the wrong type or sizes that cannot work.
AudioFeatureConfig ParseAudioFeatureConfig(const nlohmann::json& document,
                                           const std::string& source);

// Reads `model_dir`/preprocessor_config.json; a missing file gives the
// defaults of AudioFeatureConfig (fusion off, unlike the reference class
// default, so callers decide it from the model config). Throws ModelError when the file is not JSON
// or is rejected.
AudioFeatureConfig LoadAudioFeatureConfig(const std::filesystem::path& model_dir);

// Triangular mel filters as transformers 4.27 `get_mel_filter_banks` builds
// them: [num_frequency_bins, num_mel_filters] row-major, float64, for FFT bin
// frequencies linspace(0, sample_rate / 2, num_frequency_bins).
std::vector<double> MelFilterBank(int num_frequency_bins, int num_mel_filters, double frequency_min,
                                  double frequency_max, int sample_rate, MelScale scale);

// A span of a long waveform that is embedded as one model input.
struct AudioWindow {
  int64_t begin_sample = 0;
  int64_t end_sample = 0;
};

// Splits `num_samples` into model windows of at most w = `window_samples`.
// Consecutive windows [k w, (k + 1) w) come first, as many as fit. If samples
// remain, one last window of w samples ends at the last sample and overlaps
// the previous window. A waveform of at most w samples is one window. This
// replaces the random crop of the reference, so a waveform always gives the
// same windows, and each window is a crop the reference could pick.
std::vector<AudioWindow> SplitIntoWindows(int64_t num_samples, int64_t window_samples);

// The log-mel spectrogram of ClapFeatureExtractor (transformers 4.27). The
// window is padded to its full length, then cut into frames centred on
// multiples of hop_length, each reflect-padded on its own at the ends as
// NumPy pads it. Each frame gets a periodic Hann window and a float64 FFT.
// The power spectrum is rounded through complex64 as the reference stores
// it, then goes through the float64 mel filter bank and 10 log10(max(mel,
// 1e-10)) dB. Immutable after construction, so Extract may run from several
// threads.
class LogMelExtractor {
 public:
  // Throws ModelError when the FFT size is not a power of two.
  explicit LogMelExtractor(const AudioFeatureConfig& config);

  const AudioFeatureConfig& config() const { return config_; }
  int num_frames() const { return config_.num_frames(); }
  int num_mel_bins() const { return config_.feature_size; }

  // Writes the [num_frames, num_mel_bins] float32 features of one window of
  // 1..window_samples samples (48 kHz mono at the default settings) to
  // `output`. Throws ModelError for an empty or too long window or a
  // non-finite sample. Frames run in parallel on `pool`.
  void Extract(ThreadPool& pool, std::span<const float> samples, float* output) const;

 private:
  void ExtractFrame(const std::vector<double>& signal, int frame, double* frame_buffer,
                    std::complex<double>* spectrum, std::complex<double>* scratch,
                    float* output) const;

  AudioFeatureConfig config_;
  RealFft fft_;
  std::vector<double> window_;  // periodic Hann
  // Sparse filter bank: filter m covers bins [first_bin_[m], first_bin_[m] +
  // weights_[m].size()).
  std::vector<int> first_bin_;
  std::vector<std::vector<double>> weights_;
};

}  // namespace msearch::inference
