#pragma once

#include <vector>

#include "inference/clap_projection.h"
#include "inference/model_config.h"
#include "inference/text_encoder.h"
#include "inference/transformer_encoder.h"

namespace msearch::inference {

// The RoBERTa text tower of ClapModel: word + position + token type
// embeddings with RoBERTa position ids (pad_token_id + 1, + 2, ... for real
// tokens, pad_token_id for <pad>, counted on input_ids != pad_token_id), the
// embedding LayerNorm, post-norm BERT blocks with the padding mask, the
// pooler tanh(dense(h[:, 0])), then text_projection (Linear, activation,
// Linear).
class RobertaTextEncoder final : public TextEncoder {
 public:
  // Checks every tensor under text_model.* and text_projection.* against
  // `config`; throws ModelError on a mismatch.
  RobertaTextEncoder(WeightStore& weights, const RobertaTextConfig& config, int projection_dim,
                     Activation projection_activation);

  void Forward(ThreadPool& pool, const TextBatch& batch, bool with_hidden_states,
               TextOutputs& outputs) override;

  // One past the last position any text of the batch attends to.
  int EffectiveLength(const TextBatch& batch) const override;

  // Position ids start after pad_token_id, so two fewer tokens fit than the
  // table has rows at the default sizes.
  int max_positions() const override {
    return config_.max_position_embeddings - config_.pad_token_id - 1;
  }

 private:
  RobertaTextConfig config_;
  const float* word_embeddings_ = nullptr;
  const float* position_embeddings_ = nullptr;
  const float* token_type_embeddings_ = nullptr;
  LayerNormWeights embedding_norm_;
  LinearWeights pooler_;
  ClapProjection projection_;
  TransformerEncoder encoder_;
  Workspace workspace_;
};

}  // namespace msearch::inference
