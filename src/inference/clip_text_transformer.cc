#include "inference/clip_text_transformer.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "inference/kernels.h"

namespace msearch::inference {
namespace {

// The position of the first largest id in one text, as torch.argmax returns it.
int PooledPosition(const TextBatch& batch, int text) {
  const int64_t* ids = batch.input_ids.data() + static_cast<size_t>(text) * batch.sequence_length;
  return static_cast<int>(std::max_element(ids, ids + batch.sequence_length) - ids);
}

}  // namespace

ClipTextTransformer::ClipTextTransformer(WeightStore& weights, const ClipTextConfig& config,
                                         int projection_dim)
    : config_(config),
      projection_dim_(projection_dim),
      encoder_(weights, "text_model", config, NormPlacement::kPreNorm, EncoderNaming::kClip) {
  const int width = config.hidden_size;
  token_embedding_ =
      weights.Get("text_model.embeddings.token_embedding.weight", {config.vocab_size, width});
  position_embedding_ = weights.Get("text_model.embeddings.position_embedding.weight",
                                    {config.max_position_embeddings, width});
  final_layer_norm_ = weights.LayerNorm("text_model.final_layer_norm", width);
  projection_ = weights.PackLinear(
      weights.Linear("text_projection", projection_dim, width, /*with_bias=*/false));
}

int ClipTextTransformer::EffectiveLength(const TextBatch& batch) const {
  int length = 1;
  for (int text = 0; text < batch.batch_size; ++text) {
    length = std::max(length, PooledPosition(batch, text) + 1);
  }
  return length;
}

void ClipTextTransformer::Forward(ThreadPool& pool, const TextBatch& batch, bool with_hidden_states,
                                  TextOutputs& outputs) {
  ValidateTextBatch(batch, config_.vocab_size, config_.max_position_embeddings, 1);
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
    const float* token = token_embedding_ + static_cast<size_t>(batch.input_ids[row]) * width;
    const float* position = position_embedding_ + static_cast<size_t>(row % length) * width;
    float* out = hidden + static_cast<size_t>(row) * width;
    for (int i = 0; i < width; ++i) out[i] = token[i] + position[i];
  }

  AttentionShape shape;
  shape.batch = count;
  shape.sequence_length = length;
  shape.num_heads = config_.num_attention_heads;
  shape.head_dim = config_.head_dim();
  shape.causal = true;
  if (!batch.attention_mask.empty()) {
    shape.key_mask = batch.attention_mask.data();
    shape.key_mask_stride = length;
  }
  // Without hidden states only the pooled tokens are read.
  std::vector<int> pooled_positions(count);
  for (int text = 0; text < count; ++text) pooled_positions[text] = PooledPosition(batch, text);
  encoder_.Forward(pool, shape, workspace_, encoder_regions, hidden,
                   with_hidden_states ? nullptr : pooled_positions.data());

  outputs.pooler_output = Tensor({count, width});
  if (with_hidden_states) {
    outputs.last_hidden_state = Tensor({count, length, width});
    LayerNorm(pool, hidden, width, outputs.last_hidden_state.data(), width, rows, width,
              final_layer_norm_.gamma, final_layer_norm_.beta, config_.layer_norm_eps);
    for (int text = 0; text < count; ++text) {
      const float* pooled =
          outputs.last_hidden_state.data() +
          (static_cast<size_t>(text) * length + PooledPosition(batch, text)) * width;
      std::memcpy(outputs.pooler_output.row(text).data(), pooled, width * sizeof(float));
    }
  } else {
    // LayerNorm is per token, so only the pooled tokens need it.
    for (int text = 0; text < count; ++text) {
      const float* pooled =
          hidden + (static_cast<size_t>(text) * length + PooledPosition(batch, text)) * width;
      LayerNormRow(pooled, outputs.pooler_output.row(text).data(), width, final_layer_norm_.gamma,
                   final_layer_norm_.beta, config_.layer_norm_eps);
    }
  }
  outputs.text_embeds = Tensor({count, projection_dim_});
  Linear(pool, outputs.pooler_output.data(), count, width, projection_, outputs.text_embeds.data(),
         projection_dim_);
}

}  // namespace msearch::inference
