#pragma once

#include <span>

#include "inference/model_config.h"
#include "inference/model_outputs.h"
#include "inference/transformer_encoder.h"

namespace msearch::inference {

// The ViT image tower of CLIP and Chinese-CLIP (both name it
// CLIPVisionTransformer's way): patch convolution without bias, class token,
// position embeddings, pre_layrnorm, pre-norm encoder, post_layernorm on the
// class token, then visual_projection (no bias).
class VisionTransformer {
 public:
  // Checks every tensor under vision_model.* and visual_projection.weight
  // against `config`; throws ModelError on a mismatch.
  VisionTransformer(WeightStore& weights, const VisionConfig& config, int projection_dim);

  // Runs `batch` images of `pixel_values` [batch, channels, size, size]
  // (normalised, channels first). Fills pooler_output and image_embeds, and
  // embeddings_output and last_hidden_state when `with_hidden_states`.
  // Throws ModelError when the span has the wrong size.
  void Forward(ThreadPool& pool, std::span<const float> pixel_values, int batch,
               bool with_hidden_states, VisionOutputs& outputs);

  const VisionConfig& config() const { return config_; }

 private:
  void Embed(ThreadPool& pool, const float* pixel_values, int batch, float* patches,
             float* patch_features, float* hidden) const;

  VisionConfig config_;
  int projection_dim_;
  LinearLayer patch_embedding_;  // the conv kernel as [width, channels * patch * patch]
  const float* class_embedding_ = nullptr;
  const float* position_embedding_ = nullptr;
  LayerNormWeights pre_layernorm_;
  LayerNormWeights post_layernorm_;
  LinearLayer projection_;
  TransformerEncoder encoder_;
  Workspace workspace_;
};

}  // namespace msearch::inference
