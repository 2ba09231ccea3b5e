#pragma once

#include <filesystem>
#include <memory>

#include "inference/embedding_model.h"

namespace msearch::inference {

// Loads the model in `dir` (Hugging Face layout) with the implementation its
// config.json names: CLIPModel, ChineseCLIPModel or ClapModel. Throws ModelError as
// ClipModel::Load does, and for other architectures with a message listing
// the supported ones.
std::unique_ptr<EmbeddingModel> LoadEmbeddingModel(const std::filesystem::path& dir,
                                                   const EngineOptions& options);

}  // namespace msearch::inference
