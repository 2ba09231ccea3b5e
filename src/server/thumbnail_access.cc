#include "server/thumbnail_access.h"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#include "server/api_error.h"
#include "server/watched_paths.h"

namespace msearch::server {

std::filesystem::path ResolveThumbnail(store::Catalog& catalog,
                                       const std::filesystem::path& thumbnail_dir,
                                       const std::string& file_path) {
  std::optional<store::FileRecord> file = catalog.FindFileByPath(file_path);
  if (!file) {
    throw NotFound(fmt::format("no catalogued file at '{}'", file_path), {{"path", file_path}});
  }
  if (!file->thumbnail_path) {
    throw NotFound(fmt::format("the file '{}' has no thumbnail yet", file_path),
                   {{"path", file_path}});
  }
  return ResolveRecordedThumbnail(thumbnail_dir, *file->thumbnail_path,
                                  fmt::format("'{}'", file_path));
}

std::filesystem::path ResolveRecordedThumbnail(const std::filesystem::path& thumbnail_dir,
                                               const std::string& recorded_path,
                                               const std::string& owner) {
  std::error_code error;
  std::filesystem::path folder = std::filesystem::canonical(thumbnail_dir, error);
  if (error) {
    throw NotFound(fmt::format("the thumbnail folder {} does not exist", thumbnail_dir.string()),
                   {{"thumbnail_of", owner}});
  }
  std::filesystem::path recorded = recorded_path;
  if (recorded.is_relative()) recorded = folder / recorded;
  std::filesystem::path thumbnail = std::filesystem::canonical(recorded, error);
  if (error || !std::filesystem::is_regular_file(thumbnail, error)) {
    throw NotFound(fmt::format("the thumbnail file of {} is missing", owner),
                   {{"thumbnail_of", owner}});
  }
  if (!IsInsideFolder(thumbnail, folder)) {
    throw Forbidden(fmt::format("the thumbnail recorded for {} lies outside the thumbnail "
                                "folder and is not served",
                                owner),
                    {{"thumbnail_of", owner}});
  }
  return thumbnail;
}

std::string ReadThumbnailFile(const std::filesystem::path& thumbnail, const std::string& owner) {
  std::error_code error;
  uintmax_t size = std::filesystem::file_size(thumbnail, error);
  std::ifstream input(thumbnail, std::ios::binary);
  if (error || !input) {
    throw NotFound(fmt::format("the thumbnail of {} cannot be read", owner),
                   {{"thumbnail_of", owner}});
  }
  std::string bytes(size, '\0');
  input.read(bytes.data(), static_cast<std::streamsize>(size));
  bytes.resize(static_cast<size_t>(input.gcount()));
  return bytes;
}

std::string ThumbnailContentType(const std::filesystem::path& thumbnail) {
  std::string extension = thumbnail.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".png") return "image/png";
  if (extension == ".webp") return "image/webp";
  if (extension == ".gif") return "image/gif";
  return "image/jpeg";
}

}  // namespace msearch::server
