#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <span>

#include "inference/audio_features.h"
#include "inference/embedding_model.h"
#include "inference/htsat_audio_encoder.h"
#include "inference/model_config.h"
#include "inference/model_outputs.h"
#include "inference/roberta_text_encoder.h"
#include "inference/safetensors.h"
#include "inference/thread_pool.h"
#include "inference/weight_store.h"

namespace msearch::inference {

// ClapModel (LAION CLAP) from a Hugging Face model folder: the HTSAT audio
// tower, the RoBERTa text tower and the ClapFeatureExtractor settings of
// preprocessor_config.json, matching transformers 4.27.
//
// Audio longer than the model window (max_length_s, 10 s) is not cropped at
// random as in the reference: EmbedWaveform splits it with SplitIntoWindows
// and embeds every window, each exactly as the reference embeds that window
// on its own.
class ClapModel final : public EmbeddingModel {
 public:
  // Loads `dir`/config.json, `dir`/model.safetensors and, when present,
  // `dir`/preprocessor_config.json. Throws ModelError when a file is missing
  // or malformed, the architecture is not ClapModel, or a tensor is missing
  // or has a shape config.json does not imply.
  static std::unique_ptr<ClapModel> Load(const std::filesystem::path& dir,
                                         const EngineOptions& options);

  // The log-mel features [1, channels, frames, mel] the reference feature
  // extractor gives for one window of at most window_samples() samples at
  // the feature sampling rate (channels is 4, identical copies, for fused
  // models). Throws ModelError for an empty or too long window.
  Tensor ExtractFeatures(std::span<const float> samples);

  // Runs the audio tower on features [batch, channels, frames, mel] and
  // returns the outputs transformers exposes. Embeddings are raw.
  AudioOutputs EncodeAudio(std::span<const float> features, int batch, int channels, int frames,
                           bool with_hidden_states);
  TextOutputs EncodeTexts(const TextBatch& batch, bool with_hidden_states);

  // Raw projections [batch, projection_dim], before normalisation.
  Tensor TextEmbeddings(const TextBatch& batch);

  // EmbeddingModel: L2-normalised. EmbedAudio takes features [batch, 1,
  // num_frames, mel] as ExtractFeatures computes them (channel 0 only).
  const ModelInfo& info() const override { return info_; }
  Tensor EmbedTexts(const TextBatch& batch) override;
  Tensor EmbedAudio(std::span<const float> features, int batch) override;
  WaveformEmbeddings EmbedWaveform(std::span<const float> samples, int sample_rate) override;

  // exp(logit_scale_t), the factor of the text-to-audio logits.
  float logit_scale_exp() const override;

  // The raw parameters: logit_scale_t (text to audio) and logit_scale_a
  // (audio to text), logs of the logit factors.
  float logit_scale_text() const { return logit_scale_text_; }
  float logit_scale_audio() const { return logit_scale_audio_; }

  const ModelConfig& config() const { return config_; }
  const AudioFeatureConfig& feature_config() const { return features_.config(); }
  int64_t window_samples() const { return features_.config().window_samples(); }
  int num_threads() const { return pool_.num_threads(); }

 private:
  ClapModel(const std::filesystem::path& dir, const EngineOptions& options, ModelConfig config,
            const AudioFeatureConfig& feature_config, std::shared_ptr<const SafetensorsFile> file);

  Tensor ExtractFeaturesLocked(std::span<const float> samples);

  ModelConfig config_;
  ModelInfo info_;
  WeightStore weights_;
  ThreadPool pool_;
  LogMelExtractor features_;
  std::unique_ptr<HtsatAudioEncoder> audio_;
  std::unique_ptr<RobertaTextEncoder> text_;
  float logit_scale_text_ = 0;
  float logit_scale_audio_ = 0;
  std::mutex mutex_;  // one forward pass at a time: towers own their workspaces
};

}  // namespace msearch::inference
