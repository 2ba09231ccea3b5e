#include "server/upload_area.h"

#include <chrono>

#include <fmt/format.h>

#include "common/error.h"
#include "common/uuid.h"
#include "server/watched_paths.h"

namespace msearch::server {
namespace {

// Maximum bytes of a stored name. Linux allows 255 bytes per name, and the
// lower cap leaves room and keeps logs short.
constexpr size_t kMaxNameBytes = 200;

// Drops a trailing partial UTF-8 sequence left by cutting at a byte count.
void TrimPartialCodePoint(std::string& text) {
  size_t end = text.size();
  size_t start = end;
  while (start > 0 && (static_cast<unsigned char>(text[start - 1]) & 0xC0) == 0x80) --start;
  if (start == 0) return;
  // The lead byte gives the length of its sequence.
  auto lead = static_cast<unsigned char>(text[start - 1]);
  size_t expected = 1;
  if (lead >= 0xF0) {
    expected = 4;
  } else if (lead >= 0xE0) {
    expected = 3;
  } else if (lead >= 0xC0) {
    expected = 2;
  }
  if (end - (start - 1) < expected) text.resize(start - 1);
}

}  // namespace

std::string SafeUploadName(std::string_view original_name) {
  // Browsers on Windows may send the full path, so keep its last component.
  size_t slash = original_name.find_last_of("/\\");
  if (slash != std::string_view::npos) original_name.remove_prefix(slash + 1);
  std::string name;
  for (char c : original_name) {
    auto byte = static_cast<unsigned char>(c);
    name.push_back(byte < 0x20 || byte == 0x7F ? '_' : c);
  }
  if (name.size() > kMaxNameBytes) {
    // Keep the extension, which decides the media type.
    std::string extension = std::filesystem::path(name).extension().string();
    if (extension.size() > 16) extension.clear();
    name.resize(kMaxNameBytes - extension.size());
    TrimPartialCodePoint(name);
    name += extension;
  }
  if (name.empty() || name == "." || name == "..") name = "upload";
  return name;
}

UploadArea::UploadArea(std::filesystem::path dir, uint64_t max_bytes)
    : dir_(std::move(dir)), max_bytes_(max_bytes) {}

std::filesystem::path UploadArea::NewFilePath(std::string_view original_name) {
  std::filesystem::path folder = dir_ / NewUuid();
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) {
    throw Error(
        fmt::format("cannot create the upload folder '{}': {}; check that storage.data_dir "
                    "is writable",
                    folder.string(), error.message()));
  }
  return folder / SafeUploadName(original_name);
}

void UploadArea::Remove(const std::filesystem::path& file) {
  std::filesystem::path folder = file.lexically_normal().parent_path();
  if (folder.parent_path() != dir_.lexically_normal()) return;
  std::error_code error;
  std::filesystem::remove_all(folder, error);
}

int UploadArea::RemoveExpired() {
  std::error_code error;
  if (!std::filesystem::is_directory(dir_, error)) return 0;
  auto now = std::filesystem::file_time_type::clock::now();
  auto retention = std::chrono::duration_cast<std::filesystem::file_time_type::duration>(
      std::chrono::duration<double>(kRetentionSeconds));
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) {
    std::error_code entry_error;
    auto modified = entry.last_write_time(entry_error);
    if (entry_error || now - modified < retention) continue;
    if (std::filesystem::remove_all(entry.path(), entry_error) > 0 && !entry_error) ++removed;
  }
  return removed;
}

bool UploadArea::Contains(const std::filesystem::path& path) const {
  std::error_code error;
  std::filesystem::path folder = std::filesystem::canonical(dir_, error);
  if (error) return false;
  std::filesystem::path file = std::filesystem::canonical(path, error);
  if (error || !std::filesystem::is_regular_file(file, error)) return false;
  return IsInsideFolder(file, folder);
}

}  // namespace msearch::server
