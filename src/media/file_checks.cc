#include "media/file_checks.h"

#include <system_error>

#include <fmt/format.h>

#include "media/media_error.h"

namespace msearch::media {

uintmax_t RequireNonEmptyFile(const std::filesystem::path& path) {
  std::error_code error;
  auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status)) {
    throw MediaError(fmt::format("cannot read '{}': file not found", path.string()));
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw MediaError(fmt::format("cannot read '{}': not a regular file", path.string()));
  }
  uintmax_t size = std::filesystem::file_size(path, error);
  if (error) {
    throw MediaError(fmt::format("cannot read '{}': cannot get the file size: {}", path.string(),
                                 error.message()));
  }
  if (size == 0) {
    throw MediaError(fmt::format(
        "cannot decode '{}': the file is empty (0 bytes); it may be an interrupted copy",
        path.string()));
  }
  return size;
}

}  // namespace msearch::media
