#include "inference/transformer_encoder.h"

#include <algorithm>
#include <array>

#include "inference/kernels.h"

namespace msearch::inference {
namespace {

EncoderLayerWeights LoadClipLayer(WeightStore& weights, const std::string& layer, int width,
                                  int inner) {
  EncoderLayerWeights w;
  const std::array<LinearWeights, 3> projections = {
      weights.Linear(layer + ".self_attn.q_proj", width, width),
      weights.Linear(layer + ".self_attn.k_proj", width, width),
      weights.Linear(layer + ".self_attn.v_proj", width, width)};
  w.qkv = weights.PackLinear(projections);
  w.attention_output =
      weights.PackLinear(weights.Linear(layer + ".self_attn.out_proj", width, width));
  w.intermediate = weights.PackLinear(weights.Linear(layer + ".mlp.fc1", inner, width));
  w.output = weights.PackLinear(weights.Linear(layer + ".mlp.fc2", width, inner));
  w.norm1 = weights.LayerNorm(layer + ".layer_norm1", width);
  w.norm2 = weights.LayerNorm(layer + ".layer_norm2", width);
  return w;
}

EncoderLayerWeights LoadBertLayer(WeightStore& weights, const std::string& layer, int width,
                                  int inner) {
  EncoderLayerWeights w;
  const std::array<LinearWeights, 3> projections = {
      weights.Linear(layer + ".attention.self.query", width, width),
      weights.Linear(layer + ".attention.self.key", width, width),
      weights.Linear(layer + ".attention.self.value", width, width)};
  w.qkv = weights.PackLinear(projections);
  w.attention_output =
      weights.PackLinear(weights.Linear(layer + ".attention.output.dense", width, width));
  w.norm1 = weights.LayerNorm(layer + ".attention.output.LayerNorm", width);
  w.intermediate = weights.PackLinear(weights.Linear(layer + ".intermediate.dense", inner, width));
  w.output = weights.PackLinear(weights.Linear(layer + ".output.dense", width, inner));
  w.norm2 = weights.LayerNorm(layer + ".output.LayerNorm", width);
  return w;
}

}  // namespace

TransformerEncoder::TransformerEncoder(WeightStore& weights, const std::string& prefix,
                                       const EncoderConfig& config, NormPlacement placement,
                                       EncoderNaming naming)
    : config_(config), placement_(placement) {
  for (int i = 0; i < config.num_hidden_layers; ++i) {
    if (naming == EncoderNaming::kClip) {
      layers_.push_back(LoadClipLayer(weights, prefix + ".encoder.layers." + std::to_string(i),
                                      config.hidden_size, config.intermediate_size));
    } else {
      layers_.push_back(LoadBertLayer(weights, prefix + ".encoder.layer." + std::to_string(i),
                                      config.hidden_size, config.intermediate_size));
    }
  }
}

EncoderRegions TransformerEncoder::AddRegions(Workspace& workspace, int batch, int length,
                                              int threads) const {
  const size_t rows = static_cast<size_t>(batch) * length;
  const size_t width = config_.hidden_size;
  EncoderRegions regions;
  if (placement_ == NormPlacement::kPreNorm) regions.normed = workspace.Add(rows * width);
  regions.qkv = workspace.Add(rows * 3 * width);
  regions.context = workspace.Add(rows * width);
  regions.intermediate = workspace.Add(rows * config_.intermediate_size);
  regions.scores = workspace.Add(threads * AttentionScratchFloats(length, config_.head_dim()));
  return regions;
}

void TransformerEncoder::PreNormBlock(ThreadPool& pool, const AttentionShape& shape,
                                      const Workspace& workspace, const EncoderRegions& regions,
                                      const EncoderLayerWeights& layer, float* hidden) const {
  const int rows = shape.batch * shape.sequence_length;
  const int width = config_.hidden_size;
  const int inner = config_.intermediate_size;
  const float eps = config_.layer_norm_eps;
  float* normed = workspace.Get(regions.normed);
  float* qkv = workspace.Get(regions.qkv);
  float* context = workspace.Get(regions.context);
  float* intermediate = workspace.Get(regions.intermediate);
  LinearOptions residual;
  residual.accumulate = true;
  LinearOptions activated;
  activated.activation = config_.hidden_act;

  LayerNorm(pool, hidden, width, normed, width, rows, width, layer.norm1.gamma, layer.norm1.beta,
            eps);
  Linear(pool, normed, rows, width, layer.qkv, qkv, 3 * width);
  SelfAttention(pool, shape, qkv, context, workspace.Get(regions.scores));
  Linear(pool, context, rows, width, layer.attention_output, hidden, width, residual);
  LayerNorm(pool, hidden, width, normed, width, rows, width, layer.norm2.gamma, layer.norm2.beta,
            eps);
  Linear(pool, normed, rows, width, layer.intermediate, intermediate, inner, activated);
  Linear(pool, intermediate, rows, inner, layer.output, hidden, width, residual);
}

void TransformerEncoder::PreNormBlockAt(ThreadPool& pool, const AttentionShape& shape,
                                        const Workspace& workspace, const EncoderRegions& regions,
                                        const EncoderLayerWeights& layer,
                                        const int* output_positions, float* hidden) const {
  const int rows = shape.batch * shape.sequence_length;
  const int count = shape.batch;
  const int width = config_.hidden_size;
  const int inner = config_.intermediate_size;
  const float eps = config_.layer_norm_eps;
  float* normed = workspace.Get(regions.normed);
  float* qkv = workspace.Get(regions.qkv);
  float* context = workspace.Get(regions.context);
  float* intermediate = workspace.Get(regions.intermediate);
  LinearOptions residual;
  residual.accumulate = true;
  LinearOptions activated;
  activated.activation = config_.hidden_act;

  // Every row's keys and values are needed.
  LayerNorm(pool, hidden, width, normed, width, rows, width, layer.norm1.gamma, layer.norm1.beta,
            eps);
  Linear(pool, normed, rows, width, layer.qkv, qkv, 3 * width);
  SelfAttentionAt(pool, shape, qkv, output_positions, context, workspace.Get(regions.scores));

  // The selected rows, one per sequence, go through the rest of the block
  // in `normed`, which the projection above has finished reading, and come
  // back to `hidden` at the end.
  float* selected = normed;
  for (int b = 0; b < count; ++b) {
    const float* row =
        hidden + (static_cast<size_t>(b) * shape.sequence_length + output_positions[b]) * width;
    std::copy(row, row + width, selected + static_cast<size_t>(b) * width);
  }
  Linear(pool, context, count, width, layer.attention_output, selected, width, residual);
  LayerNorm(pool, selected, width, context, width, count, width, layer.norm2.gamma,
            layer.norm2.beta, eps);
  Linear(pool, context, count, width, layer.intermediate, intermediate, inner, activated);
  Linear(pool, intermediate, count, inner, layer.output, selected, width, residual);
  for (int b = 0; b < count; ++b) {
    float* row =
        hidden + (static_cast<size_t>(b) * shape.sequence_length + output_positions[b]) * width;
    const float* source = selected + static_cast<size_t>(b) * width;
    std::copy(source, source + width, row);
  }
}

void TransformerEncoder::Forward(ThreadPool& pool, const AttentionShape& shape,
                                 const Workspace& workspace, const EncoderRegions& regions,
                                 float* hidden, const int* output_positions) const {
  const int rows = shape.batch * shape.sequence_length;
  const int width = config_.hidden_size;
  const int inner = config_.intermediate_size;
  const float eps = config_.layer_norm_eps;

  if (placement_ == NormPlacement::kPreNorm) {
    for (size_t i = 0; i < layers_.size(); ++i) {
      if (output_positions != nullptr && i + 1 == layers_.size()) {
        PreNormBlockAt(pool, shape, workspace, regions, layers_[i], output_positions, hidden);
      } else {
        PreNormBlock(pool, shape, workspace, regions, layers_[i], hidden);
      }
    }
    return;
  }

  float* qkv = workspace.Get(regions.qkv);
  float* context = workspace.Get(regions.context);
  float* intermediate = workspace.Get(regions.intermediate);
  float* scores = workspace.Get(regions.scores);
  LinearOptions residual;
  residual.accumulate = true;
  LinearOptions activated;
  activated.activation = config_.hidden_act;
  for (const EncoderLayerWeights& layer : layers_) {
    Linear(pool, hidden, rows, width, layer.qkv, qkv, 3 * width);
    SelfAttention(pool, shape, qkv, context, scores);
    Linear(pool, context, rows, width, layer.attention_output, hidden, width, residual);
    LayerNorm(pool, hidden, width, hidden, width, rows, width, layer.norm1.gamma, layer.norm1.beta,
              eps);
    Linear(pool, hidden, rows, width, layer.intermediate, intermediate, inner, activated);
    Linear(pool, intermediate, rows, inner, layer.output, hidden, width, residual);
    LayerNorm(pool, hidden, width, hidden, width, rows, width, layer.norm2.gamma, layer.norm2.beta,
              eps);
  }
}

}  // namespace msearch::inference
