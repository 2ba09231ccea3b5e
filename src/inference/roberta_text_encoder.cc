#include "inference/roberta_text_encoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "inference/kernels.h"

namespace msearch::inference {

RobertaTextEncoder::RobertaTextEncoder(WeightStore& weights, const RobertaTextConfig& config,
                                       int projection_dim, Activation projection_activation)
    : config_(config),
      encoder_(weights, "text_model", config, NormPlacement::kPostNorm, EncoderNaming::kBert) {
  const int width = config.hidden_size;
  word_embeddings_ =
      weights.Get("text_model.embeddings.word_embeddings.weight", {config.vocab_size, width});
  position_embeddings_ = weights.Get("text_model.embeddings.position_embeddings.weight",
                                     {config.max_position_embeddings, width});
  token_type_embeddings_ = weights.Get("text_model.embeddings.token_type_embeddings.weight",
                                       {config.type_vocab_size, width});
  embedding_norm_ = weights.LayerNorm("text_model.embeddings.LayerNorm", width);
  pooler_ = weights.Linear("text_model.pooler.dense", width, width);
  projection_ =
      ClapProjection(weights, "text_projection", width, projection_dim, projection_activation);
}

int RobertaTextEncoder::EffectiveLength(const TextBatch& batch) const {
  if (batch.attention_mask.empty()) return batch.sequence_length;
  int length = 0;
  for (int text = 0; text < batch.batch_size; ++text) {
    const int64_t* mask =
        batch.attention_mask.data() + static_cast<size_t>(text) * batch.sequence_length;
    int last = batch.sequence_length;
    while (last > 0 && mask[last - 1] == 0) --last;
    // A text without any real token attends evenly to every position.
    if (last == 0) return batch.sequence_length;
    length = std::max(length, last);
  }
  return length;
}

void RobertaTextEncoder::Forward(ThreadPool& pool, const TextBatch& batch, bool with_hidden_states,
                                 TextOutputs& outputs) {
  ValidateTextBatch(batch, config_.vocab_size, max_positions(), config_.type_vocab_size);
  const int count = batch.batch_size;
  const int length = batch.sequence_length;
  const int width = config_.hidden_size;
  const int rows = count * length;

  workspace_.BeginLayout();
  const size_t hidden_region = workspace_.Add(static_cast<size_t>(rows) * width);
  const EncoderRegions encoder_regions =
      encoder_.AddRegions(workspace_, count, length, pool.num_threads());
  workspace_.Commit();
  float* hidden = workspace_.Get(hidden_region);

  for (int text = 0; text < count; ++text) {
    int64_t real_tokens = 0;
    for (int i = 0; i < length; ++i) {
      const size_t row = static_cast<size_t>(text) * length + i;
      const int64_t id = batch.input_ids[row];
      // create_position_ids_from_input_ids: padding_idx + cumsum(mask) * mask.
      int64_t position = config_.pad_token_id;
      if (id != config_.pad_token_id) position = config_.pad_token_id + ++real_tokens;
      const int64_t type = batch.token_type_ids.empty() ? 0 : batch.token_type_ids[row];
      const float* word = word_embeddings_ + static_cast<size_t>(id) * width;
      const float* position_row = position_embeddings_ + static_cast<size_t>(position) * width;
      const float* token_type = token_type_embeddings_ + static_cast<size_t>(type) * width;
      float* out = hidden + row * width;
      for (int c = 0; c < width; ++c) out[c] = word[c] + token_type[c] + position_row[c];
    }
  }
  LayerNorm(pool, hidden, width, hidden, width, rows, width, embedding_norm_.gamma,
            embedding_norm_.beta, config_.layer_norm_eps);

  AttentionShape shape;
  shape.batch = count;
  shape.sequence_length = length;
  shape.num_heads = config_.num_attention_heads;
  shape.head_dim = config_.head_dim();
  if (!batch.attention_mask.empty()) {
    shape.key_mask = batch.attention_mask.data();
    shape.key_mask_stride = length;
  }
  encoder_.Forward(pool, shape, workspace_, encoder_regions, hidden);

  if (with_hidden_states) {
    outputs.last_hidden_state = Tensor({count, length, width});
    std::memcpy(outputs.last_hidden_state.data(), hidden, sizeof(float) * rows * width);
  }
  outputs.pooler_output = Tensor({count, width});
  for (int text = 0; text < count; ++text) {
    Linear(pool, hidden + static_cast<size_t>(text) * length * width, 1, width, pooler_,
           outputs.pooler_output.row(text).data(), width);
    for (float& value : outputs.pooler_output.row(text)) value = std::tanh(value);
  }
  outputs.text_embeds = Tensor({count, projection_.projection_dim()});
  projection_.Apply(pool, outputs.pooler_output.data(), count, outputs.text_embeds.data());
}

}  // namespace msearch::inference
