#include "models/model_store.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/uuid.h"
#include "models/file_digest.h"
#include "models/model_name.h"

namespace msearch::models {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kStagingFolder = ".partial";

void CreateDirectories(const fs::path& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    throw Error(fmt::format("cannot create folder '{}': {}", dir.string(), error.message()));
  }
}

// Sizes and digests of the checkpoint files in `dir`, sorted by name.
std::vector<ManifestFile> DescribeFiles(const fs::path& dir) {
  std::vector<ManifestFile> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (!IsCheckpointFile(name) || !entry.is_regular_file()) continue;
    files.push_back(
        {name, static_cast<uint64_t>(fs::file_size(entry.path())), Sha256File(entry.path())});
  }
  std::sort(files.begin(), files.end(),
            [](const ManifestFile& a, const ManifestFile& b) { return a.path < b.path; });
  return files;
}

void RemoveQuietly(const fs::path& path) {
  std::error_code error;
  fs::remove_all(path, error);
  if (error) spdlog::warn("cannot remove '{}': {}", path.string(), error.message());
}

}  // namespace

ModelStore::ModelStore(fs::path models_dir) : dir_(std::move(models_dir)) {}

bool ModelStore::Contains(std::string_view name) const {
  std::error_code error;
  return fs::is_directory(ModelDir(name), error);
}

std::vector<InstalledModel> ModelStore::List() const {
  std::vector<InstalledModel> models;
  std::error_code error;
  if (!fs::is_directory(dir_, error)) return models;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name.front() == '.' || !entry.is_directory()) continue;
    models.push_back(Inspect(name));
  }
  std::sort(models.begin(), models.end(),
            [](const InstalledModel& a, const InstalledModel& b) { return a.name < b.name; });
  return models;
}

InstalledModel ModelStore::Inspect(std::string_view name) const {
  CheckStoreName(name);
  if (!Contains(name)) {
    throw Error(
        fmt::format("model '{}' is not installed in '{}'; `msearch models list` shows "
                    "the installed models",
                    name, dir_.string()));
  }
  InstalledModel model;
  model.name = std::string(name);
  model.path = ModelDir(name);
  try {
    model.manifest = ReadManifest(model.path);
  } catch (const Error& error) {
    model.problem = error.what();
  }
  try {
    model.family = CheckCheckpoint(model.path);
    model.modalities = FamilyModalities(*model.family);
  } catch (const Error& error) {
    model.problem = error.what();
  }
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(model.path, error)) {
    if (IsCheckpointFile(entry.path().filename().string()) && entry.is_regular_file()) {
      model.size_bytes += entry.file_size();
    }
  }
  return model;
}

InstalledModel ModelStore::Import(const fs::path& source, const ImportOptions& options) {
  fs::path absolute_source = fs::absolute(source).lexically_normal();
  if (absolute_source.filename().empty()) absolute_source = absolute_source.parent_path();
  std::string name = options.name.empty() ? absolute_source.filename().string() : options.name;
  CheckStoreName(name);
  if (Contains(name)) {
    throw Error(
        fmt::format("model '{}' is already installed in '{}'; remove it first with "
                    "`msearch models remove {}` or choose another --name",
                    name, dir_.string(), name));
  }
  ModelFamily family = CheckCheckpoint(absolute_source);
  spdlog::info("importing model '{}' ({}) from '{}'{}", name, FamilyName(family),
               absolute_source.string(), options.link ? " as links" : "");

  fs::path staging = StagingDir("import-" + NewUuid());
  try {
    for (const fs::directory_entry& entry : fs::directory_iterator(absolute_source)) {
      std::string file_name = entry.path().filename().string();
      if (!IsCheckpointFile(file_name) || !entry.is_regular_file()) continue;
      if (options.link) {
        fs::create_symlink(fs::canonical(entry.path()), staging / file_name);
      } else {
        fs::copy_file(entry.path(), staging / file_name);
      }
    }
    ModelManifest manifest;
    manifest.name = name;
    manifest.source = "import";
    manifest.origin = absolute_source.string();
    manifest.linked = options.link;
    manifest.files = DescribeFiles(staging);
    return Install(staging, std::move(manifest));
  } catch (const fs::filesystem_error& error) {
    RemoveQuietly(staging);
    throw Error(fmt::format("importing '{}' failed: {}", absolute_source.string(), error.what()));
  } catch (...) {
    RemoveQuietly(staging);
    throw;
  }
}

fs::path ModelStore::StagingDir(std::string_view key) const {
  fs::path staging = dir_ / kStagingFolder / key;
  CreateDirectories(staging);
  return staging;
}

InstalledModel ModelStore::Install(const fs::path& staging, ModelManifest manifest) {
  CheckStoreName(manifest.name);
  ModelFamily family = CheckCheckpoint(staging);
  manifest.family = std::string(FamilyName(family));
  manifest.installed_at = FormatIso8601(NowSeconds());
  WriteManifest(staging, manifest);

  fs::path target = ModelDir(manifest.name);
  // RENAME_NOREPLACE: a plain rename(2) would silently replace an empty
  // folder that another process created under the same name.
  if (renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
    int error_number = errno;
    if (error_number == EEXIST || error_number == ENOTEMPTY) {
      throw Error(
          fmt::format("model '{}' is already installed in '{}'; remove it first with "
                      "`msearch models remove {}`",
                      manifest.name, dir_.string(), manifest.name));
    }
    throw Error(fmt::format("cannot move '{}' to '{}': {}", staging.string(), target.string(),
                            std::strerror(error_number)));
  }
  spdlog::info("installed model '{}' ({}) in '{}'", manifest.name, manifest.family,
               target.string());
  return Inspect(manifest.name);
}

void ModelStore::Remove(std::string_view name) {
  CheckStoreName(name);
  if (!Contains(name)) {
    throw Error(
        fmt::format("model '{}' is not installed in '{}'; `msearch models list` shows "
                    "the installed models",
                    name, dir_.string()));
  }
  // Renaming first makes the model disappear at once even if deleting a
  // large folder is interrupted.
  fs::path doomed = StagingDir("") / ("removing-" + NewUuid());
  std::error_code error;
  fs::rename(ModelDir(name), doomed, error);
  if (error) {
    throw Error(fmt::format("cannot remove model '{}' ('{}'): {}", name, ModelDir(name).string(),
                            error.message()));
  }
  fs::remove_all(doomed, error);
  if (error) {
    throw Error(fmt::format("removed model '{}' from the store but could not delete '{}': {}", name,
                            doomed.string(), error.message()));
  }
  spdlog::info("removed model '{}' from '{}'", name, dir_.string());
}

}  // namespace msearch::models
