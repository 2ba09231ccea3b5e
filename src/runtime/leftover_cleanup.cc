#include "runtime/leftover_cleanup.h"

#include <cstdint>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ipc/shared_buffer.h"

namespace msearch::runtime {
namespace {

// FNV-1a: stable across builds and machines, unlike std::hash.
uint64_t Fnv1a(const std::string& text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

int RemoveTemporaryThumbnails(const std::filesystem::path& folder) {
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) return 0;
  int removed = 0;
  auto entries = std::filesystem::recursive_directory_iterator(
      folder, std::filesystem::directory_options::skip_permission_denied, error);
  for (auto it = entries; !error && it != std::filesystem::recursive_directory_iterator();
       it.increment(error)) {
    if (!it->is_regular_file(error)) continue;
    if (it->path().filename().string().find(".tmp-") == std::string::npos) continue;
    std::error_code remove_error;
    if (std::filesystem::remove(it->path(), remove_error)) {
      ++removed;
    } else if (remove_error) {
      spdlog::warn("failed to remove the unfinished thumbnail '{}': {}", it->path().string(),
                   remove_error.message());
    }
  }
  if (error) {
    spdlog::warn("failed to look for unfinished thumbnails in '{}': {}", folder.string(),
                 error.message());
  }
  return removed;
}

}  // namespace

std::string SharedBufferPrefixFor(const config::Config& config) {
  return fmt::format("msearch.{:016x}", Fnv1a(config.storage.data_dir.lexically_normal().string()));
}

LeftoverCounts RemoveLeftovers(const config::Config& config) {
  LeftoverCounts counts;
  counts.temporary_files = RemoveTemporaryThumbnails(config.storage.thumbnail_dir);
  // No process of this instance runs yet, so no block is in use.
  counts.shared_buffers = static_cast<int>(
      ipc::SweepSharedBuffers(SharedBufferPrefixFor(config), [](const std::string&) {
        return false;
      }).size());
  if (counts.temporary_files > 0 || counts.shared_buffers > 0) {
    spdlog::info(
        "removed {} unfinished thumbnail(s) and {} shared memory block(s) left by an "
        "earlier run",
        counts.temporary_files, counts.shared_buffers);
  }
  return counts;
}

}  // namespace msearch::runtime
