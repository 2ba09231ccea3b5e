#include "support/bench_paths.h"

#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>

#include <stdlib.h>

namespace msearch::bench {

std::filesystem::path DefaultMsearchExecutable() { return MSEARCH_BENCH_EXECUTABLE; }

std::filesystem::path DefaultMsearchctl() {
  return std::filesystem::path(MSEARCH_BENCH_SOURCE_DIR) / "scripts" / "msearchctl";
}

std::filesystem::path DefaultCorpusDir() {
  if (const char* shared = std::getenv("MSEARCH_SHARED_DIR"); shared != nullptr && *shared) {
    return std::filesystem::path(shared) / "corpus";
  }
  return (std::filesystem::path(MSEARCH_BENCH_SOURCE_DIR) / ".." / "shared" / "corpus")
      .lexically_normal();
}

ScratchDir::ScratchDir(const char* prefix) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::filesystem::filesystem_error("cannot create a scratch folder", pattern,
                                            std::error_code(errno, std::generic_category()));
  }
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  if (keep_) {
    std::fprintf(stderr, "kept %s\n", path_.c_str());
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace msearch::bench
