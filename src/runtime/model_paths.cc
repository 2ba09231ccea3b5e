#include "runtime/model_paths.h"

#include <system_error>

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

}  // namespace msearch::runtime
