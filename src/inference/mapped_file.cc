#include "inference/mapped_file.h"

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inference/model_error.h"

namespace msearch::inference {

MappedFile::MappedFile(const std::filesystem::path& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw ModelError(fmt::format("cannot open '{}': {}", path.string(), std::strerror(errno)));
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    throw ModelError(fmt::format("'{}' is not a regular file", path.string()));
  }
  size_ = static_cast<size_t>(info.st_size);
  if (size_ > 0) {
    void* address = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (address == MAP_FAILED) {
      int error = errno;
      ::close(fd);
      throw ModelError(
          fmt::format("cannot map '{}' into memory: {}", path.string(), std::strerror(error)));
    }
    data_ = static_cast<const std::byte*>(address);
  }
  ::close(fd);
}

void MappedFile::ReleasePages(const std::byte* begin, size_t bytes) const {
  const uintptr_t mapping = reinterpret_cast<uintptr_t>(data_);
  const uintptr_t first = reinterpret_cast<uintptr_t>(begin);
  if (data_ == nullptr || first < mapping || first + bytes > mapping + size_) return;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t start = (first + page - 1) / page * page;
  const uintptr_t end = (first + bytes) / page * page;
  if (start >= end) return;
  // MADV_DONTNEED on a read-only file mapping discards only page table
  // entries, so the next access reads the file's page again.
  ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) {
    ::munmap(const_cast<std::byte*>(data_), size_);
  }
}

}  // namespace msearch::inference
