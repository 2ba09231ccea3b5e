#pragma once

#include <filesystem>

namespace msearch::bench {

// The msearch executable of the build the benchmarks belong to.
std::filesystem::path DefaultMsearchExecutable();

// scripts/msearchctl of the source tree the benchmarks were built from.
std::filesystem::path DefaultMsearchctl();

// The shared media corpus: $MSEARCH_SHARED_DIR/corpus when that variable is
// set, else ../shared/corpus next to the source tree (the tests' rule).
std::filesystem::path DefaultCorpusDir();

// A fresh folder under the system temporary folder, removed with its
// contents on destruction unless Keep() was called.
class ScratchDir {
 public:
  // Throws std::filesystem::filesystem_error when the folder cannot be made.
  explicit ScratchDir(const char* prefix);
  ~ScratchDir();

  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  void Keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

}  // namespace msearch::bench
