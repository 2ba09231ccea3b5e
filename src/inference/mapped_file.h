#pragma once

#include <cstddef>
#include <filesystem>

namespace msearch::inference {

// A whole file mapped read-only into memory for the lifetime of the object.
// Pages are read from disk on first access and shared with the page cache, so
// several processes mapping the same checkpoint share its memory.
class MappedFile {
 public:
  // Maps `path`. Throws ModelError naming the path when it cannot be opened,
  // is not a regular file or cannot be mapped. An empty file maps to size 0.
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

  // Drops this process's mapping of the whole pages inside [begin, begin +
  // bytes), so they stop counting towards its resident memory. The page
  // cache keeps the file's data and a later read maps it again, so the
  // contents seen through data() never change. Partial pages at either end
  // are kept, and a range outside the mapping is ignored. Best effort: a
  // failing madvise is ignored.
  void ReleasePages(const std::byte* begin, size_t bytes) const;

 private:
  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace msearch::inference
