#pragma once

#include <filesystem>

namespace msearch::runtime {

// An exclusive lock on <data_dir>/msearch.lock for the life of the main
// process, so two instances never share a data directory. The kernel
// releases it when the process dies, even by SIGKILL.
class InstanceLock {
 public:
  // Throws msearch::Error naming the holder's pid when another process
  // holds the lock.
  explicit InstanceLock(const std::filesystem::path& data_dir);
  ~InstanceLock();

  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace msearch::runtime
