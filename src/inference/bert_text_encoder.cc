#include "inference/bert_text_encoder.h"

#include <algorithm>
#include <cstring>

#include "inference/kernels.h"

namespace msearch::inference {

BertTextEncoder::BertTextEncoder(WeightStore& weights, const BertTextConfig& config,
                                 int projection_dim)
    : config_(config),
      projection_dim_(projection_dim),
      encoder_(weights, "text_model", config, NormPlacement::kPostNorm, EncoderNaming::kBert) {
  const int width = config.hidden_size;
  word_embeddings_ =
      weights.Get("text_model.embeddings.word_embeddings.weight", {config.vocab_size, width});
  position_embeddings_ = weights.Get("text_model.embeddings.position_embeddings.weight",
                                     {config.max_position_embeddings, width});
  token_type_embeddings_ = weights.Get("text_model.embeddings.token_type_embeddings.weight",
                                       {config.type_vocab_size, width});
  embedding_norm_ = weights.LayerNorm("text_model.embeddings.LayerNorm", width);
  projection_ = weights.PackLinear(
      weights.Linear("text_projection", projection_dim, width, /*with_bias=*/false));
}

int BertTextEncoder::EffectiveLength(const TextBatch& batch) const {
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

void BertTextEncoder::Forward(ThreadPool& pool, const TextBatch& batch, bool with_hidden_states,
                              TextOutputs& outputs) {
  ValidateTextBatch(batch, config_.vocab_size, config_.max_position_embeddings,
                    config_.type_vocab_size);
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

  for (int row = 0; row < rows; ++row) {
    const int64_t type = batch.token_type_ids.empty() ? 0 : batch.token_type_ids[row];
    const float* word = word_embeddings_ + static_cast<size_t>(batch.input_ids[row]) * width;
    const float* position = position_embeddings_ + static_cast<size_t>(row % length) * width;
    const float* token_type = token_type_embeddings_ + static_cast<size_t>(type) * width;
    float* out = hidden + static_cast<size_t>(row) * width;
    for (int i = 0; i < width; ++i) out[i] = word[i] + token_type[i] + position[i];
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
    std::memcpy(outputs.pooler_output.row(text).data(),
                hidden + static_cast<size_t>(text) * length * width, width * sizeof(float));
  }
  outputs.text_embeds = Tensor({count, projection_dim_});
  Linear(pool, outputs.pooler_output.data(), count, width, projection_, outputs.text_embeds.data(),
         projection_dim_);
}

}  // namespace msearch::inference
