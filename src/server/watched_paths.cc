#include "server/watched_paths.h"

#include <algorithm>

namespace msearch::server {
namespace {

std::filesystem::path NormalFolder(const std::filesystem::path& folder) {
  std::filesystem::path normal = folder.lexically_normal();
  if (!normal.has_filename() && normal.has_relative_path()) normal = normal.parent_path();
  return normal;
}

bool Contains(const store::DirectoryRecord& directory, const std::filesystem::path& folder,
              const std::filesystem::path& path) {
  if (directory.recursive) return IsInsideFolder(path, folder);
  return path.has_parent_path() && path.parent_path() == folder;
}

}  // namespace

bool IsInsideFolder(const std::filesystem::path& path, const std::filesystem::path& folder) {
  std::filesystem::path normal_folder = NormalFolder(folder);
  auto [folder_end, path_end] =
      std::mismatch(normal_folder.begin(), normal_folder.end(), path.begin(), path.end());
  return folder_end == normal_folder.end() && path_end != path.end();
}

std::vector<store::DirectoryRecord> WatchedDirectories(store::Catalog& catalog) {
  std::vector<store::DirectoryRecord> directories = catalog.ListDirectories();
  std::erase_if(directories,
                [](const store::DirectoryRecord& directory) { return directory.detached; });
  return directories;
}

std::optional<store::DirectoryRecord> FindWatchedDirectory(
    const std::vector<store::DirectoryRecord>& directories, const std::filesystem::path& path) {
  std::filesystem::path lexical = path.lexically_normal();
  std::error_code error;
  std::optional<std::filesystem::path> real;
  if (std::filesystem::exists(lexical, error)) {
    std::filesystem::path resolved = std::filesystem::canonical(lexical, error);
    if (!error) real = resolved;
  }

  for (const store::DirectoryRecord& directory : directories) {
    std::filesystem::path folder = NormalFolder(directory.path);
    if (!Contains(directory, folder, lexical)) continue;
    if (real) {
      std::filesystem::path real_folder = std::filesystem::canonical(folder, error);
      if (error || !Contains(directory, real_folder, *real)) continue;
    }
    return directory;
  }
  return std::nullopt;
}

}  // namespace msearch::server
