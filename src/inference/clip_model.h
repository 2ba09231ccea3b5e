#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "inference/embedding_model.h"
#include "inference/model_config.h"
#include "inference/model_outputs.h"
#include "inference/safetensors.h"
#include "inference/text_encoder.h"
#include "inference/thread_pool.h"
#include "inference/vision_transformer.h"
#include "inference/weight_store.h"

namespace msearch::inference {

// CLIPModel and ChineseCLIPModel from a Hugging Face model folder: the same
// ViT image tower with a causal CLIP text transformer or a BERT text encoder.
class ClipModel final : public EmbeddingModel {
 public:
  // Loads `dir`/config.json and `dir`/model.safetensors (mapped, F32 weights
  // used in place). Throws ModelError when a file is missing or malformed, the
  // architecture is not CLIPModel or ChineseCLIPModel, or a tensor is missing
  // or has a shape config.json does not imply.
  static std::unique_ptr<ClipModel> Load(const std::filesystem::path& dir,
                                         const EngineOptions& options);

  // Runs a tower and returns the outputs transformers exposes, including the
  // hidden states when requested, so tests can compare them with the
  // reference. Embeddings are raw (not normalised). Throws ModelError on
  // malformed input.
  VisionOutputs EncodeImages(std::span<const float> pixel_values, int batch,
                             bool with_hidden_states);
  TextOutputs EncodeTexts(const TextBatch& batch, bool with_hidden_states);

  // Raw projections [batch, projection_dim], before normalisation. Texts run
  // cut to TextEncoder::EffectiveLength, which changes no value.
  Tensor ImageEmbeddings(std::span<const float> pixel_values, int batch);
  Tensor TextEmbeddings(const TextBatch& batch);

  // EmbeddingModel: the same, L2-normalised.
  const ModelInfo& info() const override { return info_; }
  Tensor EmbedImages(std::span<const float> pixel_values, int batch) override;
  Tensor EmbedTexts(const TextBatch& batch) override;
  float logit_scale_exp() const override;

  // The raw logit_scale parameter (log of the logit factor).
  float logit_scale() const { return logit_scale_; }
  const ModelConfig& config() const { return config_; }
  int num_threads() const { return pool_.num_threads(); }

  // Bytes of weights converted from F16/BF16 at load; F32 weights stay in the
  // file mapping and count 0.
  size_t converted_weight_bytes() const { return weights_.converted_bytes(); }

 private:
  ClipModel(const std::filesystem::path& dir, const EngineOptions& options, ModelConfig config,
            std::shared_ptr<const SafetensorsFile> file);

  ModelConfig config_;
  ModelInfo info_;
  WeightStore weights_;
  ThreadPool pool_;
  std::unique_ptr<VisionTransformer> vision_;
  std::unique_ptr<TextEncoder> text_;
  float logit_scale_ = 0;
  std::mutex mutex_;  // one forward pass at a time: towers own their workspaces
};

}  // namespace msearch::inference
