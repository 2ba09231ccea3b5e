#include "inference/vision_transformer.h"

#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "inference/kernels.h"
#include "inference/model_error.h"

namespace msearch::inference {

VisionTransformer::VisionTransformer(WeightStore& weights, const VisionConfig& config,
                                     int projection_dim)
    : config_(config),
      projection_dim_(projection_dim),
      encoder_(weights, "vision_model", config, NormPlacement::kPreNorm, EncoderNaming::kClip) {
  const int width = config.hidden_size;
  const int patch = config.patch_size;
  LinearWeights patch_embedding;
  patch_embedding.weight = weights.Get("vision_model.embeddings.patch_embedding.weight",
                                       {width, config.num_channels, patch, patch});
  patch_embedding.out_features = width;
  patch_embedding.in_features = config.num_channels * patch * patch;
  patch_embedding_ = weights.PackLinear(patch_embedding);
  class_embedding_ = weights.Get("vision_model.embeddings.class_embedding", {width});
  position_embedding_ = weights.Get("vision_model.embeddings.position_embedding.weight",
                                    {config.num_positions(), width});
  pre_layernorm_ = weights.LayerNorm("vision_model.pre_layrnorm", width);
  post_layernorm_ = weights.LayerNorm("vision_model.post_layernorm", width);
  projection_ = weights.PackLinear(
      weights.Linear("visual_projection", projection_dim, width, /*with_bias=*/false));
}

void VisionTransformer::Embed(ThreadPool& pool, const float* pixel_values, int batch,
                              float* patches, float* patch_features, float* hidden) const {
  const int channels = config_.num_channels;
  const int size = config_.image_size;
  const int patch = config_.patch_size;
  const int grid = config_.patches_per_side();
  const int num_patches = config_.num_patches();
  const int tokens = config_.num_positions();
  const int width = config_.hidden_size;
  const int patch_values = channels * patch * patch;

  // im2col: one row per patch, in the (channel, y, x) order of the conv
  // kernel, patches row by row as the reference flattens them.
  pool.ParallelFor(batch * grid, [&](int task) {
    const int image = task / grid;
    const int patch_y = task % grid;
    const float* source = pixel_values + static_cast<size_t>(image) * channels * size * size;
    for (int patch_x = 0; patch_x < grid; ++patch_x) {
      float* row = patches + (static_cast<size_t>(image) * num_patches + patch_y * grid + patch_x) *
                                 patch_values;
      for (int c = 0; c < channels; ++c) {
        for (int y = 0; y < patch; ++y) {
          const float* line = source +
                              (static_cast<size_t>(c) * size + patch_y * patch + y) * size +
                              patch_x * patch;
          std::memcpy(row + (c * patch + y) * patch, line, patch * sizeof(float));
        }
      }
    }
  });
  Linear(pool, patches, batch * num_patches, patch_values, patch_embedding_, patch_features, width);

  pool.ParallelFor(batch * tokens, [&](int task) {
    const int image = task / tokens;
    const int token = task % tokens;
    float* out = hidden + static_cast<size_t>(task) * width;
    const float* position = position_embedding_ + static_cast<size_t>(token) * width;
    const float* source =
        token == 0
            ? class_embedding_
            : patch_features + (static_cast<size_t>(image) * num_patches + token - 1) * width;
    for (int i = 0; i < width; ++i) out[i] = source[i] + position[i];
  });
}

void VisionTransformer::Forward(ThreadPool& pool, std::span<const float> pixel_values, int batch,
                                bool with_hidden_states, VisionOutputs& outputs) {
  const int channels = config_.num_channels;
  const int size = config_.image_size;
  const size_t expected = static_cast<size_t>(batch) * channels * size * size;
  if (batch < 1 || pixel_values.size() != expected) {
    throw ModelError(
        fmt::format("pixel_values has {} values, expected batch {} x {} channels x {} x {} = {}",
                    pixel_values.size(), batch, channels, size, size, expected));
  }
  const int tokens = config_.num_positions();
  const int width = config_.hidden_size;
  const int rows = batch * tokens;

  workspace_.BeginLayout();
  const size_t hidden_region = workspace_.Add(static_cast<size_t>(rows) * width);
  const size_t patches_region = workspace_.Add(static_cast<size_t>(batch) * config_.num_patches() *
                                               channels * config_.patch_size * config_.patch_size);
  const size_t features_region =
      workspace_.Add(static_cast<size_t>(batch) * config_.num_patches() * width);
  const EncoderRegions encoder_regions =
      encoder_.AddRegions(workspace_, batch, tokens, pool.num_threads());
  workspace_.Commit();
  float* hidden = workspace_.Get(hidden_region);

  Embed(pool, pixel_values.data(), batch, workspace_.Get(patches_region),
        workspace_.Get(features_region), hidden);
  if (with_hidden_states) {
    outputs.embeddings_output = Tensor({batch, tokens, width});
    std::memcpy(outputs.embeddings_output.data(), hidden, sizeof(float) * rows * width);
  }
  LayerNorm(pool, hidden, width, hidden, width, rows, width, pre_layernorm_.gamma,
            pre_layernorm_.beta, config_.layer_norm_eps);

  AttentionShape shape;
  shape.batch = batch;
  shape.sequence_length = tokens;
  shape.num_heads = config_.num_attention_heads;
  shape.head_dim = config_.head_dim();
  // Without hidden states only the class tokens (position 0) are read.
  const std::vector<int> class_positions(batch, 0);
  encoder_.Forward(pool, shape, workspace_, encoder_regions, hidden,
                   with_hidden_states ? nullptr : class_positions.data());
  if (with_hidden_states) {
    outputs.last_hidden_state = Tensor({batch, tokens, width});
    std::memcpy(outputs.last_hidden_state.data(), hidden, sizeof(float) * rows * width);
  }

  outputs.pooler_output = Tensor({batch, width});
  LayerNorm(pool, hidden, tokens * width, outputs.pooler_output.data(), width, batch, width,
            post_layernorm_.gamma, post_layernorm_.beta, config_.layer_norm_eps);
  outputs.image_embeds = Tensor({batch, projection_dim_});
  Linear(pool, outputs.pooler_output.data(), batch, width, projection_, outputs.image_embeds.data(),
         projection_dim_);
}

}  // namespace msearch::inference
