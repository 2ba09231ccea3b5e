#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "config/config.h"

namespace msearch::runtime {

// The folder of model `name` (a hub id such as "openai/clip-vit-base-patch32"
// or a store name) under models.dir, when it contains a checkpoint: config.json
// and model.safetensors. Returns nullopt for an empty name or a model that is
// not installed.
std::optional<std::filesystem::path> InstalledModelDir(const config::Config& config,
                                                       const std::string& name);

// The embedding space of the vectors model `name` makes: its store name, so
// vectors of different models never mix.
std::string EmbeddingSpace(const std::string& name);

}  // namespace msearch::runtime
