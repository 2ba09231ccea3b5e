#include "inference/clap_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "inference/linear.h"
#include "inference/model_error.h"

namespace msearch::inference {
namespace {

// Windows embedded per forward pass of EmbedWaveform: batching amortises the
// weight packing of small matrices, and 4 windows of real CLAP size need
// about 80 MB of scratch.
constexpr int kWindowsPerPass = 4;

std::filesystem::path CheckpointPath(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "model.safetensors";
  if (!std::filesystem::exists(path)) {
    throw ModelError(fmt::format(
        "'{}' not found: a model folder needs config.json and model.safetensors in the Hugging "
        "Face layout",
        path.string()));
  }
  return path;
}

// The first `length` tokens of every text of `batch`, copied into `storage`.
TextBatch CutBatch(const TextBatch& batch, int length, std::vector<int64_t>& storage) {
  const size_t count = static_cast<size_t>(batch.batch_size) * length;
  const std::span<const int64_t> sources[] = {batch.input_ids, batch.attention_mask,
                                              batch.token_type_ids};
  storage.assign(3 * count, 0);
  std::span<const int64_t> cut[3];
  for (int k = 0; k < 3; ++k) {
    if (sources[k].empty()) continue;
    int64_t* out = storage.data() + k * count;
    for (int text = 0; text < batch.batch_size; ++text) {
      std::copy_n(sources[k].data() + static_cast<size_t>(text) * batch.sequence_length, length,
                  out + static_cast<size_t>(text) * length);
    }
    cut[k] = {out, count};
  }
  return TextBatch{batch.batch_size, length, cut[0], cut[1], cut[2]};
}

}  // namespace

std::unique_ptr<ClapModel> ClapModel::Load(const std::filesystem::path& dir,
                                           const EngineOptions& options) {
  const double start = MonotonicSeconds();
  ModelConfig config = LoadModelConfig(dir);
  if (config.architecture != Architecture::kClap) {
    throw ModelError(fmt::format("'{}' contains a {} checkpoint, not ClapModel", dir.string(),
                                 ArchitectureName(config.architecture)));
  }
  AudioFeatureConfig feature_config = LoadAudioFeatureConfig(dir);
  if (!std::filesystem::exists(dir / "preprocessor_config.json")) {
    // Without the file the model's own setting picks the filter bank.
    feature_config.fusion = config.audio.enable_fusion;
    spdlog::warn(
        "'{}' has no preprocessor_config.json; using the ClapFeatureExtractor defaults "
        "of transformers 4.27 (frequency_min 0 Hz, frequency_max 14000 Hz)",
        dir.string());
  }
  if (feature_config.feature_size != config.audio.num_mel_bins) {
    throw ModelError(fmt::format(
        "'{}': preprocessor_config.json feature_size {} differs from audio_config.num_mel_bins {}",
        dir.string(), feature_config.feature_size, config.audio.num_mel_bins));
  }
  if (feature_config.fusion != config.audio.enable_fusion) {
    spdlog::warn(
        "'{}': preprocessor truncation {} but audio_config.enable_fusion is {}; using the "
        "preprocessor setting for the filter bank",
        dir.string(), feature_config.fusion ? "'fusion'" : "not 'fusion'",
        config.audio.enable_fusion);
  }
  auto file = std::make_shared<const SafetensorsFile>(CheckpointPath(dir));
  std::unique_ptr<ClapModel> model(
      new ClapModel(dir, options, std::move(config), feature_config, std::move(file)));
  spdlog::info(
      "loaded ClapModel from '{}' in {:.2f} s: {} threads, projection_dim {}, fusion {}, "
      "{} MB converted",
      dir.string(), MonotonicSeconds() - start, model->num_threads(), model->config_.projection_dim,
      model->config_.audio.enable_fusion, model->weights_.converted_bytes() >> 20);
  return model;
}

ClapModel::ClapModel(const std::filesystem::path& dir, const EngineOptions& options,
                     ModelConfig config, const AudioFeatureConfig& feature_config,
                     std::shared_ptr<const SafetensorsFile> file)
    : config_(std::move(config)),
      weights_(std::move(file)),
      pool_(options.num_threads),
      features_(feature_config) {
  UseSingleThreadedBlas();
  audio_ = std::make_unique<HtsatAudioEncoder>(weights_, config_.audio, config_.projection_dim,
                                               config_.projection_hidden_act);
  text_ = std::make_unique<RobertaTextEncoder>(
      weights_, config_.roberta_text, config_.projection_dim, config_.projection_hidden_act);
  logit_scale_text_ = weights_.Scalar("logit_scale_t");
  logit_scale_audio_ = weights_.Scalar("logit_scale_a");
  if (size_t unused = weights_.CountUnused(); unused > 0) {
    spdlog::debug("'{}': {} tensors of the checkpoint are not used (buffers such as position_ids)",
                  dir.string(), unused);
  }
  info_.family = "clap";
  info_.modalities = {Modality::kText, Modality::kAudio};
  info_.embedding_dim = config_.projection_dim;
  info_.max_text_length = text_->max_positions();
  info_.audio_sample_rate = feature_config.sampling_rate;
}

Tensor ClapModel::ExtractFeaturesLocked(std::span<const float> samples) {
  const int frames = features_.num_frames();
  const int mel = features_.num_mel_bins();
  const int channels = audio_->image_channels();
  Tensor features({1, channels, frames, mel});
  features_.Extract(pool_, samples, features.data());
  const size_t plane = static_cast<size_t>(frames) * mel;
  for (int channel = 1; channel < channels; ++channel) {
    std::copy_n(features.data(), plane, features.data() + channel * plane);
  }
  return features;
}

Tensor ClapModel::ExtractFeatures(std::span<const float> samples) {
  std::lock_guard lock(mutex_);
  return ExtractFeaturesLocked(samples);
}

AudioOutputs ClapModel::EncodeAudio(std::span<const float> features, int batch, int channels,
                                    int frames, bool with_hidden_states) {
  std::lock_guard lock(mutex_);
  UseSingleThreadedBlas();
  AudioOutputs outputs;
  audio_->Forward(pool_, features, batch, channels, frames, with_hidden_states, outputs);
  return outputs;
}

TextOutputs ClapModel::EncodeTexts(const TextBatch& batch, bool with_hidden_states) {
  std::lock_guard lock(mutex_);
  UseSingleThreadedBlas();
  TextOutputs outputs;
  text_->Forward(pool_, batch, with_hidden_states, outputs);
  return outputs;
}

Tensor ClapModel::TextEmbeddings(const TextBatch& batch) {
  ValidateTextBatch(batch, std::numeric_limits<int>::max(), text_->max_positions(),
                    std::numeric_limits<int>::max());
  const int length = text_->EffectiveLength(batch);
  if (length == batch.sequence_length) return std::move(EncodeTexts(batch, false).text_embeds);
  std::vector<int64_t> storage;
  return std::move(EncodeTexts(CutBatch(batch, length, storage), false).text_embeds);
}

Tensor ClapModel::EmbedTexts(const TextBatch& batch) {
  Tensor embeddings = TextEmbeddings(batch);
  L2NormalizeRows(embeddings);
  return embeddings;
}

Tensor ClapModel::EmbedAudio(std::span<const float> features, int batch) {
  const int frames = features_.num_frames();
  Tensor embeddings =
      std::move(EncodeAudio(features, batch, /*channels=*/1, frames, false).audio_embeds);
  L2NormalizeRows(embeddings);
  return embeddings;
}

WaveformEmbeddings ClapModel::EmbedWaveform(std::span<const float> samples, int sample_rate) {
  if (sample_rate != info_.audio_sample_rate) {
    throw ModelError(
        fmt::format("waveform sample rate is {} Hz; CLAP expects {} Hz mono, so "
                    "resample it first",
                    sample_rate, info_.audio_sample_rate));
  }
  if (samples.empty()) throw ModelError("waveform is empty; there is no audio to embed");
  const std::vector<AudioWindow> windows =
      SplitIntoWindows(static_cast<int64_t>(samples.size()), window_samples());
  WaveformEmbeddings result;
  result.embeddings = Tensor({static_cast<int64_t>(windows.size()), config_.projection_dim});
  const int frames = features_.num_frames();
  const size_t window_floats = static_cast<size_t>(frames) * features_.num_mel_bins();

  std::lock_guard lock(mutex_);
  UseSingleThreadedBlas();
  std::vector<float> features;
  for (size_t first = 0; first < windows.size(); first += kWindowsPerPass) {
    const size_t count = std::min<size_t>(kWindowsPerPass, windows.size() - first);
    features.resize(count * window_floats);
    for (size_t i = 0; i < count; ++i) {
      const AudioWindow& window = windows[first + i];
      features_.Extract(
          pool_, samples.subspan(window.begin_sample, window.end_sample - window.begin_sample),
          features.data() + i * window_floats);
    }
    AudioOutputs outputs;
    audio_->Forward(pool_, features, static_cast<int>(count), /*channels=*/1, frames, false,
                    outputs);
    std::copy(outputs.audio_embeds.values.begin(), outputs.audio_embeds.values.end(),
              result.embeddings.row(static_cast<int64_t>(first)).data());
  }
  L2NormalizeRows(result.embeddings);
  for (const AudioWindow& window : windows) {
    result.segments.push_back({static_cast<double>(window.begin_sample) / sample_rate,
                               static_cast<double>(window.end_sample) / sample_rate});
  }
  return result;
}

float ClapModel::logit_scale_exp() const { return std::exp(logit_scale_text_); }

}  // namespace msearch::inference
