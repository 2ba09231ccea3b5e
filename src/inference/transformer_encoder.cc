#include "inference/transformer_encoder.h"

#include <array>

#include "inference/kernels.h"

namespace msearch::inference {
namespace {

EncoderLayerWeights LoadClipLayer(WeightStore& weights, const std::string& layer, int width,
                                  int inner) {
  EncoderLayerWeights w;
  w.query = weights.Linear(layer + ".self_attn.q_proj", width, width);
  w.key = weights.Linear(layer + ".self_attn.k_proj", width, width);
  w.value = weights.Linear(layer + ".self_attn.v_proj", width, width);
  w.attention_output = weights.Linear(layer + ".self_attn.out_proj", width, width);
  w.intermediate = weights.Linear(layer + ".mlp.fc1", inner, width);
  w.output = weights.Linear(layer + ".mlp.fc2", width, inner);
  w.norm1 = weights.LayerNorm(layer + ".layer_norm1", width);
  w.norm2 = weights.LayerNorm(layer + ".layer_norm2", width);
  return w;
}

EncoderLayerWeights LoadBertLayer(WeightStore& weights, const std::string& layer, int width,
                                  int inner) {
  EncoderLayerWeights w;
  w.query = weights.Linear(layer + ".attention.self.query", width, width);
  w.key = weights.Linear(layer + ".attention.self.key", width, width);
  w.value = weights.Linear(layer + ".attention.self.value", width, width);
  w.attention_output = weights.Linear(layer + ".attention.output.dense", width, width);
  w.norm1 = weights.LayerNorm(layer + ".attention.output.LayerNorm", width);
  w.intermediate = weights.Linear(layer + ".intermediate.dense", inner, width);
  w.output = weights.Linear(layer + ".output.dense", width, inner);
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
  regions.scores = workspace.Add(static_cast<size_t>(threads) * length * length);
  return regions;
}

void TransformerEncoder::Forward(ThreadPool& pool, const AttentionShape& shape,
                                 const Workspace& workspace, const EncoderRegions& regions,
                                 float* hidden) const {
  const int rows = shape.batch * shape.sequence_length;
  const int width = config_.hidden_size;
  const int inner = config_.intermediate_size;
  const float eps = config_.layer_norm_eps;
  float* qkv = workspace.Get(regions.qkv);
  float* context = workspace.Get(regions.context);
  float* intermediate = workspace.Get(regions.intermediate);
  float* scores = workspace.Get(regions.scores);
  LinearOptions residual;
  residual.accumulate = true;
  LinearOptions activated;
  activated.activation = config_.hidden_act;

  for (const EncoderLayerWeights& layer : layers_) {
    const std::array<LinearWeights, 3> projections = {layer.query, layer.key, layer.value};
    if (placement_ == NormPlacement::kPreNorm) {
      float* normed = workspace.Get(regions.normed);
      LayerNorm(pool, hidden, width, normed, width, rows, width, layer.norm1.gamma,
                layer.norm1.beta, eps);
      Linear(pool, normed, rows, width, projections, qkv, 3 * width);
      SelfAttention(pool, shape, qkv, context, scores);
      Linear(pool, context, rows, width, layer.attention_output, hidden, width, residual);
      LayerNorm(pool, hidden, width, normed, width, rows, width, layer.norm2.gamma,
                layer.norm2.beta, eps);
      Linear(pool, normed, rows, width, layer.intermediate, intermediate, inner, activated);
      Linear(pool, intermediate, rows, inner, layer.output, hidden, width, residual);
    } else {
      Linear(pool, hidden, rows, width, projections, qkv, 3 * width);
      SelfAttention(pool, shape, qkv, context, scores);
      Linear(pool, context, rows, width, layer.attention_output, hidden, width, residual);
      LayerNorm(pool, hidden, width, hidden, width, rows, width, layer.norm1.gamma,
                layer.norm1.beta, eps);
      Linear(pool, hidden, rows, width, layer.intermediate, intermediate, inner, activated);
      Linear(pool, intermediate, rows, inner, layer.output, hidden, width, residual);
      LayerNorm(pool, hidden, width, hidden, width, rows, width, layer.norm2.gamma,
                layer.norm2.beta, eps);
    }
  }
}

}  // namespace msearch::inference
