#include "runtime/model_paths.h"

#include <system_error>

#include <fmt/format.h>

#include "common/error.h"
#include "models/model_name.h"

namespace msearch::runtime {

std::optional<std::filesystem::path> InstalledModelDir(const config::Config& config,
                                                       const std::string& name) {
  if (name.empty()) return std::nullopt;
  std::filesystem::path dir;
  try {
    dir = config.models.dir / models::StoreName(name);
  } catch (const Error&) {
    return std::nullopt;  // the configuration loader already rejected such names
  }
  std::error_code error;
  if (!std::filesystem::is_regular_file(dir / "config.json", error) ||
      !std::filesystem::is_regular_file(dir / "model.safetensors", error)) {
    return std::nullopt;
  }
  return dir;
}

std::string EmbeddingSpace(const std::string& name) { return models::StoreName(name); }

const std::string& ModelForModality(const config::Config& config, std::string_view modality) {
  return modality == "audio" ? config.models.audio : config.models.image;
}

std::string ModelWaitKey(std::string_view model_modality) {
  return model_modality == "audio" ? "model:audio" : "model:image";
}

queue::NewTask::Wait ModelWait(const config::Config& config, std::string_view modality) {
  std::string_view model_modality = modality == "audio" ? "audio" : "image";
  const std::string& name = ModelForModality(config, modality);
  return {ModelWaitKey(model_modality),
          fmt::format("waiting for the {} model '{}' to be installed in '{}'. Run 'msearch models "
                      "pull {}' or 'msearch models import DIR'",
                      model_modality, name, config.models.dir.string(), name)};
}

}  // namespace msearch::runtime
