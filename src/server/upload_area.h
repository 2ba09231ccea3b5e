#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace msearch::server {

// The folder where uploaded files wait until they are used: each upload gets
// its own sub-folder, <dir>/<uuid>/<file name>, so that names never collide
// and the original name is kept for the media type. Uploads older than
// kRetentionSeconds are removed by RemoveExpired, which the server runs at
// start and before each POST /api/v1/files/upload. Routes that consume an upload at once (a
// search query) call Remove after use.
//
// Thread-safe: every method works on the file system only.
class UploadArea {
 public:
  static constexpr double kRetentionSeconds = 3600;

  UploadArea(std::filesystem::path dir, uint64_t max_bytes);

  const std::filesystem::path& dir() const { return dir_; }
  // Uploads larger than this are rejected with 413.
  uint64_t max_bytes() const { return max_bytes_; }

  // Creates a new sub-folder and returns the path for a file named after
  // `original_name` inside it, without creating the file. The name is
  // reduced to its last path component, with control characters replaced
  // and its length capped. An empty name becomes "upload". Throws
  // msearch::Error when the folder cannot be created.
  std::filesystem::path NewFilePath(std::string_view original_name);

  // Removes an upload and its sub-folder, and does nothing for a path outside
  // the area. Errors are ignored, because RemoveExpired deletes what remains.
  void Remove(const std::filesystem::path& file);

  // Removes uploads whose sub-folder is older than kRetentionSeconds.
  // Returns the number removed.
  int RemoveExpired();

  // True when `path`, with symbolic links resolved, is a regular file inside
  // the area.
  bool Contains(const std::filesystem::path& path) const;

 private:
  std::filesystem::path dir_;
  uint64_t max_bytes_;
};

// The name an uploaded file is stored under (see UploadArea::NewFilePath).
std::string SafeUploadName(std::string_view original_name);

}  // namespace msearch::server
