#pragma once

#include "inference/model_config.h"
#include "inference/text_encoder.h"
#include "inference/transformer_encoder.h"

namespace msearch::inference {

// The BERT text tower of Chinese-CLIP: word + position + token type
// embeddings, embedding LayerNorm, post-norm blocks with the padding mask, the
// [CLS] state (position 0, no pooler layer), then text_projection (no bias).
class BertTextEncoder final : public TextEncoder {
 public:
  // Checks every tensor under text_model.* and text_projection.weight against
  // `config`; throws ModelError on a mismatch.
  BertTextEncoder(WeightStore& weights, const BertTextConfig& config, int projection_dim);

  void Forward(ThreadPool& pool, const TextBatch& batch, bool with_hidden_states,
               TextOutputs& outputs) override;

  // One past the last position any text of the batch attends to: masked keys
  // get probability 0, so trailing padding columns change nothing.
  int EffectiveLength(const TextBatch& batch) const override;

  int max_positions() const override { return config_.max_position_embeddings; }

 private:
  BertTextConfig config_;
  int projection_dim_;
  const float* word_embeddings_ = nullptr;
  const float* position_embeddings_ = nullptr;
  const float* token_type_embeddings_ = nullptr;
  LayerNormWeights embedding_norm_;
  LinearLayer projection_;
  TransformerEncoder encoder_;
  Workspace workspace_;
};

}  // namespace msearch::inference
