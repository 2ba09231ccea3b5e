#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace msearch::models {

// The manifest file inside each installed model folder.
inline constexpr std::string_view kManifestFileName = "msearch_model.json";

struct ManifestFile {
  std::string path;    // relative to the model folder
  uint64_t size = 0;   // bytes
  std::string sha256;  // lower-case hex
};

// The origin and contents of an installed model.
struct ModelManifest {
  std::string name;      // folder name in the store
  std::string source;    // "hub" or "import"
  std::string origin;    // hub: the repository id; import: the absolute source folder
  std::string endpoint;  // hub: the endpoint it was downloaded from
  std::string revision;  // hub: the requested branch, tag or commit
  std::string commit;    // hub: the commit the revision resolved to, when the hub sent one
  bool linked = false;   // import --link: the files are symbolic links into `origin`
  std::string family;    // "clip", "chinese_clip" or "clap"
  std::vector<ManifestFile> files;
  std::string installed_at;  // ISO 8601, UTC
};

nlohmann::json ManifestToJson(const ModelManifest& manifest);

// Throws msearch::Error naming `source` when a field is missing or has the
// wrong type.
ModelManifest ManifestFromJson(const nlohmann::json& document, const std::string& source);

// Writes `dir`/msearch_model.json through a temporary file and a rename, so a
// reader never sees a partial manifest. Throws msearch::Error on I/O failure.
void WriteManifest(const std::filesystem::path& dir, const ModelManifest& manifest);

// Reads `dir`/msearch_model.json. Throws msearch::Error naming the file when
// it is missing, unreadable or invalid.
ModelManifest ReadManifest(const std::filesystem::path& dir);

}  // namespace msearch::models
