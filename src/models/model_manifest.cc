#include "models/model_manifest.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "common/error.h"

namespace msearch::models {
namespace fs = std::filesystem;

nlohmann::json ManifestToJson(const ModelManifest& manifest) {
  nlohmann::json files = nlohmann::json::array();
  for (const ManifestFile& file : manifest.files) {
    files.push_back({{"path", file.path}, {"size", file.size}, {"sha256", file.sha256}});
  }
  return {{"name", manifest.name},
          {"source", manifest.source},
          {"origin", manifest.origin},
          {"endpoint", manifest.endpoint},
          {"revision", manifest.revision},
          {"commit", manifest.commit},
          {"linked", manifest.linked},
          {"family", manifest.family},
          {"files", files},
          {"installed_at", manifest.installed_at}};
}

ModelManifest ManifestFromJson(const nlohmann::json& document, const std::string& source) {
  try {
    ModelManifest manifest;
    manifest.name = document.at("name").get<std::string>();
    manifest.source = document.at("source").get<std::string>();
    manifest.origin = document.value("origin", "");
    manifest.endpoint = document.value("endpoint", "");
    manifest.revision = document.value("revision", "");
    manifest.commit = document.value("commit", "");
    manifest.linked = document.value("linked", false);
    manifest.family = document.value("family", "");
    manifest.installed_at = document.value("installed_at", "");
    for (const nlohmann::json& file : document.at("files")) {
      manifest.files.push_back({file.at("path").get<std::string>(), file.at("size").get<uint64_t>(),
                                file.value("sha256", "")});
    }
    return manifest;
  } catch (const nlohmann::json::exception& error) {
    throw Error(fmt::format("invalid model manifest '{}': {}", source, error.what()));
  }
}

void WriteManifest(const fs::path& dir, const ModelManifest& manifest) {
  fs::path path = dir / kManifestFileName;
  fs::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream stream(temporary, std::ios::trunc);
    stream << ManifestToJson(manifest).dump(2) << "\n";
    stream.close();
    if (!stream) {
      throw Error(fmt::format("cannot write model manifest '{}': {}", temporary.string(),
                              std::strerror(errno)));
    }
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) {
    throw Error(fmt::format("cannot rename '{}' to '{}': {}", temporary.string(), path.string(),
                            error.message()));
  }
}

ModelManifest ReadManifest(const fs::path& dir) {
  fs::path path = dir / kManifestFileName;
  std::ifstream stream(path);
  if (!stream) {
    throw Error(fmt::format("missing or unreadable model manifest '{}'", path.string()));
  }
  nlohmann::json document = nlohmann::json::parse(stream, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    throw Error(fmt::format("model manifest '{}' is not a JSON object", path.string()));
  }
  return ManifestFromJson(document, path.string());
}

}  // namespace msearch::models
