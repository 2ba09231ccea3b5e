#include "ipc/shared_buffer.h"

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/process_info.h"

namespace msearch::ipc {
namespace {

// Where Linux keeps POSIX shared memory names.
constexpr char kShmFolder[] = "/dev/shm";

std::string ErrnoText(int error) { return std::generic_category().message(error); }

bool ValidPrefixChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.';
}

// Parses "/<prefix>-<pid>-<sequence>" and returns the pid, or 0.
pid_t ParseCreator(std::string_view prefix, std::string_view name) {
  if (name.size() < prefix.size() + 5 || name[0] != '/') return 0;
  name.remove_prefix(1);
  if (name.substr(0, prefix.size()) != prefix || name[prefix.size()] != '-') return 0;
  name.remove_prefix(prefix.size() + 1);
  size_t dash = name.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return 0;
  pid_t pid = 0;
  auto [end, error] = std::from_chars(name.data(), name.data() + dash, pid);
  if (error != std::errc() || end != name.data() + dash || pid <= 0) return 0;
  for (char c : name.substr(dash + 1)) {
    if (c < '0' || c > '9') return 0;
  }
  return pid;
}

// Rejects anything but "/<prefix>-<pid>-<sequence>", so a path with '/' or
// ".." never reaches shm_open.
void CheckName(const std::string& name) {
  size_t dash = name.find('-');
  std::string_view prefix =
      dash == std::string::npos ? std::string_view() : std::string_view(name).substr(1, dash - 1);
  bool prefix_ok = !prefix.empty();
  for (char c : prefix) prefix_ok = prefix_ok && ValidPrefixChar(c);
  if (!prefix_ok || ParseCreator(prefix, name) == 0) {
    throw SharedBufferError(
        fmt::format("'{}' is not a shared buffer name (expected /<prefix>-<pid>-<number>)", name));
  }
}

}  // namespace

void CheckSharedBufferPrefix(std::string_view prefix) {
  bool ok = !prefix.empty() && prefix.size() <= 40;
  for (char c : prefix) ok = ok && ValidPrefixChar(c);
  if (!ok) {
    throw SharedBufferError(fmt::format(
        "shared buffer prefix '{}' must be 1 to 40 letters, digits, '_' or '.'", prefix));
  }
}

SharedBuffer SharedBuffer::Create(std::string_view prefix, size_t bytes) {
  CheckSharedBufferPrefix(prefix);
  if (bytes == 0) bytes = 1;
  static std::atomic<uint64_t> sequence{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = fmt::format("/{}-{}-{}", prefix, getpid(), sequence.fetch_add(1));
    int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) continue;  // left by an earlier process with this pid
    if (fd < 0) {
      throw SharedBufferError(
          fmt::format("failed to create shared buffer {}: {}", name, ErrnoText(errno)));
    }
    // posix_fallocate reserves the pages now, so a full /dev/shm fails here
    // with ENOSPC instead of killing the writer with SIGBUS later.
    int error = posix_fallocate(fd, 0, static_cast<off_t>(bytes));
    void* data =
        error == 0 ? mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    if (error == 0 && data == MAP_FAILED) error = errno;
    close(fd);
    if (error != 0) {
      shm_unlink(name.c_str());
      throw SharedBufferError(fmt::format(
          "failed to reserve {} bytes of shared memory for {}: {}; free space in /dev/shm", bytes,
          name, ErrnoText(error)));
    }
    return SharedBuffer(std::move(name), data, bytes);
  }
  throw SharedBufferError(
      fmt::format("failed to find a free shared buffer name for prefix '{}'", prefix));
}

SharedBuffer SharedBuffer::Open(const std::string& name) {
  CheckName(name);
  int fd = shm_open(name.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    throw SharedBufferError(
        fmt::format("failed to open shared buffer {}: {}", name, ErrnoText(errno)));
  }
  struct stat info {};
  if (fstat(fd, &info) != 0 || info.st_size <= 0) {
    int error = errno;
    close(fd);
    throw SharedBufferError(fmt::format("shared buffer {} is empty or unreadable: {}", name,
                                        info.st_size <= 0 ? "size 0" : ErrnoText(error)));
  }
  size_t size = static_cast<size_t>(info.st_size);
  void* data = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  int error = errno;
  close(fd);
  if (data == MAP_FAILED) {
    throw SharedBufferError(
        fmt::format("failed to map shared buffer {}: {}", name, ErrnoText(error)));
  }
  return SharedBuffer(name, data, size);
}

bool SharedBuffer::Unlink(const std::string& name) {
  CheckName(name);
  if (shm_unlink(name.c_str()) == 0) return true;
  if (errno != ENOENT)
    spdlog::warn("failed to remove shared buffer {}: {}", name, ErrnoText(errno));
  return false;
}

SharedBuffer::SharedBuffer(SharedBuffer&& other) noexcept
    : name_(std::move(other.name_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

SharedBuffer& SharedBuffer::operator=(SharedBuffer&& other) noexcept {
  if (this != &other) {
    Release();
    name_ = std::move(other.name_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SharedBuffer::~SharedBuffer() { Release(); }

void SharedBuffer::Release() {
  if (data_ != nullptr) munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

pid_t SharedBufferCreator(std::string_view prefix, std::string_view name) {
  return ParseCreator(prefix, name);
}

std::vector<SharedBufferInfo> ListSharedBuffers(std::string_view prefix) {
  CheckSharedBufferPrefix(prefix);
  std::vector<SharedBufferInfo> blocks;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(kShmFolder, error)) {
    std::string name = "/" + entry.path().filename().string();
    pid_t creator = ParseCreator(prefix, name);
    if (creator == 0) continue;
    struct stat info {};
    if (stat(entry.path().c_str(), &info) != 0) continue;  // removed meanwhile
    SharedBufferInfo block;
    block.name = std::move(name);
    block.creator = creator;
    block.creator_alive = ProcessAlive(creator);
    block.bytes = static_cast<size_t>(info.st_size);
    block.modified_at =
        static_cast<double>(info.st_mtim.tv_sec) + static_cast<double>(info.st_mtim.tv_nsec) / 1e9;
    blocks.push_back(std::move(block));
  }
  if (error) spdlog::warn("failed to list {}: {}", kShmFolder, error.message());
  return blocks;
}

std::vector<std::string> SweepSharedBuffers(std::string_view prefix,
                                            const std::function<bool(const std::string&)>& in_use) {
  CheckSharedBufferPrefix(prefix);
  std::vector<std::string> removed;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(kShmFolder, error)) {
    std::string name = "/" + entry.path().filename().string();
    pid_t creator = ParseCreator(prefix, name);
    if (creator == 0 || ProcessAlive(creator) || in_use(name)) continue;
    if (shm_unlink(name.c_str()) == 0) {
      spdlog::info("removed shared buffer {} left by process {}", name, creator);
      removed.push_back(std::move(name));
    }
  }
  if (error) spdlog::warn("failed to list {}: {}", kShmFolder, error.message());
  return removed;
}

}  // namespace msearch::ipc
