#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "inference/checkpoint_layout.h"
#include "inference/model_config.h"

namespace msearch::inference {

// Appends the tensors of ClapModel's audio tower (audio_model.audio_encoder.*,
// with the fusion path when config.audio.enable_fusion) and audio_projection
// to `specs`, with transformers 4.27 names and shapes.
void AddClapAudioLayout(std::vector<TensorSpec>& specs, const ModelConfig& config);

// The audio_config object of a ClapModel config.json.
nlohmann::json ClapAudioConfigJson(const ModelConfig& config);

}  // namespace msearch::inference
