#include "inference/clap_checkpoint_layout.h"

#include <string>

#include <fmt/format.h>

namespace msearch::inference {
namespace {

void Add(std::vector<TensorSpec>& specs, const std::string& name, std::vector<int64_t> shape,
         TensorRole role) {
  specs.push_back({name, std::move(shape), role});
}

void AddLinear(std::vector<TensorSpec>& specs, const std::string& prefix, int out, int in,
               bool bias = true) {
  Add(specs, prefix + ".weight", {out, in}, TensorRole::kWeight);
  if (bias) Add(specs, prefix + ".bias", {out}, TensorRole::kBias);
}

void AddNorm(std::vector<TensorSpec>& specs, const std::string& prefix, int width) {
  Add(specs, prefix + ".weight", {width}, TensorRole::kNormWeight);
  Add(specs, prefix + ".bias", {width}, TensorRole::kNormBias);
}

void AddBatchNorm(std::vector<TensorSpec>& specs, const std::string& prefix, int width,
                  bool mel_input = false) {
  AddNorm(specs, prefix, width);
  Add(specs, prefix + ".running_mean", {width},
      mel_input ? TensorRole::kMelMean : TensorRole::kBatchNormMean);
  Add(specs, prefix + ".running_var", {width},
      mel_input ? TensorRole::kMelVariance : TensorRole::kBatchNormVariance);
}

void AddConv(std::vector<TensorSpec>& specs, const std::string& prefix, int out, int in,
             int kernel_height, int kernel_width) {
  Add(specs, prefix + ".weight", {out, in, kernel_height, kernel_width}, TensorRole::kWeight);
  Add(specs, prefix + ".bias", {out}, TensorRole::kBias);
}

void AddFusion(std::vector<TensorSpec>& specs, const std::string& prefix,
               const HtsatAudioConfig& audio) {
  const int width = audio.patch_embeds_hidden_size;
  const int inner = width / audio.aff_block_r;
  const int patch = audio.patch_size;
  AddConv(specs, prefix + ".mel_conv2d", width, 1, patch, 3 * patch);
  const std::string fusion = prefix + ".fusion_model";
  AddConv(specs, fusion + ".local_att.0", inner, width, 1, 1);
  AddBatchNorm(specs, fusion + ".local_att.1", inner);
  AddConv(specs, fusion + ".local_att.3", width, inner, 1, 1);
  AddBatchNorm(specs, fusion + ".local_att.4", width);
  AddConv(specs, fusion + ".global_att.1", inner, width, 1, 1);
  AddBatchNorm(specs, fusion + ".global_att.2", inner);
  AddConv(specs, fusion + ".global_att.4", width, inner, 1, 1);
  AddBatchNorm(specs, fusion + ".global_att.5", width);
}

}  // namespace

void AddClapAudioLayout(std::vector<TensorSpec>& specs, const ModelConfig& config) {
  const HtsatAudioConfig& audio = config.audio;
  const std::string prefix = "audio_model.audio_encoder";
  AddBatchNorm(specs, prefix + ".batch_norm", audio.num_mel_bins, /*mel_input=*/true);
  const int patch = audio.patch_size;
  AddConv(specs, prefix + ".patch_embed.proj", audio.patch_embeds_hidden_size,
          audio.patch_embed_input_channels, patch, patch);
  if (audio.enable_patch_layer_norm) {
    AddNorm(specs, prefix + ".patch_embed.norm", audio.patch_embeds_hidden_size);
  }
  if (audio.enable_fusion) AddFusion(specs, prefix + ".patch_embed", audio);

  const int table_side = 2 * audio.window_size - 1;
  for (int stage = 0; stage < audio.num_stages(); ++stage) {
    const int width = audio.StageWidth(stage);
    const int mlp = static_cast<int>(width * audio.mlp_ratio);
    const std::string layer = fmt::format("{}.layers.{}", prefix, stage);
    for (int i = 0; i < audio.depths[stage]; ++i) {
      const std::string block = fmt::format("{}.blocks.{}", layer, i);
      AddNorm(specs, block + ".layernorm_before", width);
      for (const char* projection : {"query", "key", "value"}) {
        AddLinear(specs, block + ".attention.self." + projection, width, width, audio.qkv_bias);
      }
      Add(specs, block + ".attention.self.relative_position_bias_table",
          {table_side * table_side, audio.num_attention_heads[stage]}, TensorRole::kPositionBias);
      AddLinear(specs, block + ".attention.output.dense", width, width);
      AddNorm(specs, block + ".layernorm_after", width);
      AddLinear(specs, block + ".intermediate.dense", mlp, width);
      AddLinear(specs, block + ".output.dense", width, mlp);
    }
    if (stage + 1 < audio.num_stages()) {
      AddNorm(specs, layer + ".downsample.norm", 4 * width);
      AddLinear(specs, layer + ".downsample.reduction", 2 * width, 4 * width, /*bias=*/false);
    }
  }
  AddNorm(specs, prefix + ".norm", audio.hidden_size);
  AddLinear(specs, "audio_projection.linear1", config.projection_dim, audio.hidden_size);
  AddLinear(specs, "audio_projection.linear2", config.projection_dim, config.projection_dim);
}

nlohmann::json ClapAudioConfigJson(const ModelConfig& config) {
  const HtsatAudioConfig& audio = config.audio;
  return {{"model_type", "clap_audio_model"},
          {"num_mel_bins", audio.num_mel_bins},
          {"spec_size", audio.spec_size},
          {"patch_size", audio.patch_size},
          {"patch_stride", {audio.patch_stride, audio.patch_stride}},
          {"patch_embeds_hidden_size", audio.patch_embeds_hidden_size},
          {"patch_embed_input_channels", audio.patch_embed_input_channels},
          {"depths", audio.depths},
          {"num_attention_heads", audio.num_attention_heads},
          {"window_size", audio.window_size},
          {"mlp_ratio", audio.mlp_ratio},
          {"qkv_bias", audio.qkv_bias},
          {"enable_fusion", audio.enable_fusion},
          {"fusion_type", nullptr},
          {"enable_patch_layer_norm", audio.enable_patch_layer_norm},
          {"aff_block_r", audio.aff_block_r},
          {"hidden_size", audio.hidden_size},
          {"hidden_act", ActivationName(audio.hidden_act)},
          {"layer_norm_eps", std::stod(fmt::format("{}", audio.layer_norm_eps))},
          {"projection_dim", config.projection_dim},
          {"projection_hidden_act", ActivationName(config.projection_hidden_act)}};
}

}  // namespace msearch::inference
