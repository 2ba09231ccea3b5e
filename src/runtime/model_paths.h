#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "queue/task.h"

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

// Returns the configured model (models.image or models.audio) that embeds
// `modality` ("image", "video" or "audio"). It is empty when none is
// configured.
const std::string& ModelForModality(const config::Config& config, std::string_view modality);

// Returns the wait condition of an embed task of `modality` while its model
// is not installed. The key is "model:image" or "model:audio", which
// TaskQueue::EndWait ends once the model is installed. The reason names the
// model to install.
queue::NewTask::Wait ModelWait(const config::Config& config, std::string_view modality);

// Returns the wait key for the configured model of `model_modality`
// ("image" or "audio").
std::string ModelWaitKey(std::string_view model_modality);

}  // namespace msearch::runtime
