#include "support/corpus_files.h"

#include <algorithm>

#include <fmt/format.h>

namespace msearch::bench {

bool CorpusAvailable(const std::filesystem::path& corpus, std::string_view program) {
  std::error_code error;
  if (std::filesystem::is_directory(corpus / "images", error)) return true;
  fmt::print(
      "{}: skipped: the media corpus is not at '{}' (no images/ folder there); pass "
      "--corpus PATH or set MSEARCH_SHARED_DIR\n",
      program, corpus.string());
  return false;
}

std::vector<std::filesystem::path> CorpusFiles(const std::filesystem::path& corpus,
                                               std::string_view subfolder) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(corpus / subfolder)) {
    if (!entry.is_regular_file() || entry.path().filename() == kHugeImageName) continue;
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::filesystem::path> CopyFiles(const std::vector<std::filesystem::path>& files,
                                             const std::filesystem::path& destination, int copies) {
  std::filesystem::create_directories(destination);
  std::vector<std::filesystem::path> written;
  for (int copy = 1; copy <= copies; ++copy) {
    for (const std::filesystem::path& file : files) {
      std::filesystem::path target = destination / fmt::format("{}_c{}{}", file.stem().string(),
                                                               copy, file.extension().string());
      // The corpus is read-only; copies get the owner's default permissions.
      std::filesystem::copy_file(file, target, std::filesystem::copy_options::overwrite_existing);
      std::filesystem::permissions(
          target, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
      written.push_back(target);
    }
  }
  return written;
}

}  // namespace msearch::bench
