#pragma once

#include <cstdint>
#include <filesystem>

namespace msearch::media {

// Checks that `path` is an existing, non-empty regular file and returns its
// size in bytes. Throws MediaError naming the file otherwise.
uintmax_t RequireNonEmptyFile(const std::filesystem::path& path);

}  // namespace msearch::media
