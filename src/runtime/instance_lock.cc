#include "runtime/instance_lock.h"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/error.h"

namespace msearch::runtime {

InstanceLock::InstanceLock(const std::filesystem::path& data_dir) {
  std::filesystem::create_directories(data_dir);
  std::filesystem::path path = data_dir / "msearch.lock";
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    throw Error(fmt::format("cannot open lock file '{}': {}", path.string(), std::strerror(errno)));
  }
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char buffer[32] = {};
    ssize_t n = pread(fd_, buffer, sizeof(buffer) - 1, 0);
    std::string holder = n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "unknown";
    close(fd_);
    fd_ = -1;
    throw Error(
        fmt::format("another msearch (pid {}) already uses the data directory '{}'; stop it with "
                    "'scripts/msearchctl stop' or configure another storage.data_dir",
                    holder, data_dir.string()));
  }
  std::string pid = std::to_string(getpid());
  if (ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] ssize_t written = pwrite(fd_, pid.data(), pid.size(), 0);
  }
}

InstanceLock::~InstanceLock() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace msearch::runtime
