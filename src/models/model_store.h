#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/checkpoint_check.h"
#include "models/model_manifest.h"

namespace msearch::models {

// One model folder in the store, as List and Inspect report it.
struct InstalledModel {
  std::string name;
  std::filesystem::path path;
  std::optional<ModelManifest> manifest;  // nullopt when msearch_model.json is missing or invalid
  std::optional<ModelFamily> family;      // set when the checkpoint validates
  std::vector<std::string> modalities;    // "image", "text", "audio"
  uint64_t size_bytes = 0;                // checkpoint files, following links
  std::string problem;                    // empty when usable, else the validation error
};

struct ImportOptions {
  std::string name;   // empty: the source folder's name
  bool link = false;  // symbolic links to the source files instead of copies
};

// The models folder: one sub-folder per model (see StoreName), each with a
// checkpoint and msearch_model.json. Work in progress lives under
// `.partial/`, which List skips, and a model appears only through one
// rename(2) of a complete, validated folder, so an interrupted import or pull
// never leaves a half-installed model. Methods are not synchronised between
// threads; two processes installing the same name are safe because the final
// rename refuses to replace an existing folder.
class ModelStore {
 public:
  explicit ModelStore(std::filesystem::path models_dir);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path ModelDir(std::string_view name) const { return dir_ / name; }
  bool Contains(std::string_view name) const;

  // Every installed model, sorted by name; an absent models folder gives none.
  std::vector<InstalledModel> List() const;

  // Validates one installed model. Throws msearch::Error when it is not installed.
  InstalledModel Inspect(std::string_view name) const;

  // Validates the checkpoint in `source`, copies (or links) its checkpoint
  // files into the store and installs it. Files other than checkpoint files
  // (see IsCheckpointFile) are left out. Throws msearch::Error when the
  // folder is invalid (naming the file), the name is taken, or copying fails;
  // nothing is installed then.
  InstalledModel Import(const std::filesystem::path& source, const ImportOptions& options);

  // A folder for staging work under `.partial/`, created if missing. The
  // same `key` gives the same folder, so an interrupted pull can resume.
  std::filesystem::path StagingDir(std::string_view key) const;

  // Validates the checkpoint in `staging`, writes its manifest (setting name,
  // family and installed_at) and renames the folder to ModelDir(name).
  // Throws msearch::Error when validation fails or the name is taken; the
  // staging folder is left in place then.
  InstalledModel Install(const std::filesystem::path& staging, ModelManifest manifest);

  // Deletes an installed model (for a linked import, only the links). Throws
  // msearch::Error when it is not installed.
  void Remove(std::string_view name);

 private:
  std::filesystem::path dir_;
};

}  // namespace msearch::models
