#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "inference/model_config.h"

namespace msearch::inference {

// What a checkpoint tensor is, which decides how random weights are drawn.
enum class TensorRole {
  kWeight,  // Linear [out, in] or Conv2d [out, in, kh, kw]
  kBias,
  kNormWeight,  // LayerNorm gain
  kNormBias,
  kEmbedding,  // token, position, type and class embeddings
  kLogitScale,
  kPositionIds,        // the int64 buffer [1, N] transformers 4.27 saves
  kBatchNormMean,      // running_mean of a BatchNorm inside a network
  kBatchNormVariance,  // running_var of a BatchNorm inside a network
  kMelMean,            // running_mean of CLAP's input BatchNorm (log-mel dB statistics)
  kMelVariance,        // running_var of CLAP's input BatchNorm
  kPositionBias,       // Swin relative position bias table
};

struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  TensorRole role = TensorRole::kWeight;
};

// Every tensor of the state_dict transformers 4.27 saves for `config`
// (CLIPModel, ChineseCLIPModel or ClapModel), with Hugging Face names and
// shapes. For ClapModel the int64 buffers other than position_ids
// (token_type_ids, relative_position_index, num_batches_tracked) are left
// out; the loader does not read them.
std::vector<TensorSpec> CheckpointLayout(const ModelConfig& config);

// A config.json document for `config` in the layout transformers writes,
// limited to the keys that describe the model (no generation settings).
nlohmann::json ConfigToJson(const ModelConfig& config);

// Configs of released checkpoints by preset name: "clip-vit-b32"
// (openai/clip-vit-base-patch32), "clip-vit-b16" (openai/clip-vit-base-patch16),
// "chinese-clip-vit-b16" (OFA-Sys/chinese-clip-vit-base-patch16),
// "clap-htsat-unfused" (laion/clap-htsat-unfused), "clap-htsat-fused"
// (laion/clap-htsat-fused). Throws
// ModelError naming the presets for any other name.
ModelConfig PresetConfig(std::string_view name);
std::vector<std::string> PresetNames();

}  // namespace msearch::inference
