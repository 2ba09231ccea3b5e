#pragma once

#include "inference/model_config.h"
#include "inference/text_encoder.h"
#include "inference/transformer_encoder.h"

namespace msearch::inference {

// CLIP's causal text transformer: token and position embeddings, pre-norm
// blocks with a causal mask (plus the padding mask when given),
// final_layer_norm, pooling at argmax(input_ids) (the first end-of-text token,
// since it has the highest id), then text_projection (no bias).
class ClipTextTransformer final : public TextEncoder {
 public:
  // Checks every tensor under text_model.* and text_projection.weight against
  // `config`; throws ModelError on a mismatch.
  ClipTextTransformer(WeightStore& weights, const ClipTextConfig& config, int projection_dim);

  void Forward(ThreadPool& pool, const TextBatch& batch, bool with_hidden_states,
               TextOutputs& outputs) override;

  // One past the furthest pooled position: causal attention means later
  // tokens cannot change it.
  int EffectiveLength(const TextBatch& batch) const override;

  int max_positions() const override { return config_.max_position_embeddings; }

 private:
  ClipTextConfig config_;
  int projection_dim_;
  const float* token_embedding_ = nullptr;
  const float* position_embedding_ = nullptr;
  LayerNormWeights final_layer_norm_;
  LinearLayer projection_;
  TransformerEncoder encoder_;
  Workspace workspace_;
};

}  // namespace msearch::inference
