#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/catalog.h"
#include "support/temp_dir.h"

namespace msearch::store::testing {

// A catalog in a fresh temporary folder with one watched directory, `root_`.
class CatalogTest : public ::testing::Test {
 protected:
  CatalogTest();

  // An observation of `path` (absolute, or relative to root_) that exists
  // only in the catalog. Each call without an explicit inode gets a new one,
  // so unrelated files never look like renames of each other.
  FileObservation Observe(const std::filesystem::path& path, uint64_t size = 100,
                          int64_t mtime_ns = 1'000'000'000, uint64_t inode = 0,
                          const std::string& kind = "image");

  // An observation of a real file, with its size, mtime, inode and device.
  FileObservation ObserveDisk(const std::filesystem::path& path, const std::string& kind = "image");

  // Creates a real file under root_ with `content` and returns its path.
  std::filesystem::path MakeFile(const std::filesystem::path& relative,
                                 const std::string& content = "data");

  // Adds an entry for `path` and returns its id.
  int64_t AddFile(const std::filesystem::path& path, const std::string& kind = "image");

  // The paths of the hits, in result order.
  static std::vector<std::string> HitPaths(const std::vector<TextHit>& hits);

  // Rows of the full-text table, which must track the files table.
  int64_t FtsRowCount();

  msearch::testing::TempDir dir_;
  Catalog catalog_;
  std::filesystem::path root_;
  DirectoryRecord directory_;
  uint64_t next_inode_ = 1000;
};

}  // namespace msearch::store::testing
