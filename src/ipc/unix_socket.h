#pragma once

#include <filesystem>
#include <string>
#include <utility>

#include <sys/socket.h>
#include <sys/un.h>

namespace msearch::ipc {

// Owns one file descriptor and closes it on destruction.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  ~FileDescriptor() { Reset(); }

  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // Closes the current descriptor, if any, and takes ownership of `fd`.
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Builds the address of a Unix domain stream socket at `path`. Throws
// msearch::Error when the path does not fit in sockaddr_un (see
// CheckSocketPathLength).
sockaddr_un MakeUnixAddress(const std::filesystem::path& path);

// Creates a non-blocking, close-on-exec Unix domain stream socket. Throws
// msearch::Error on failure.
FileDescriptor NewUnixStreamSocket();

// Returns "<what> failed: <strerror(errno_value)>" for error messages.
std::string ErrnoMessage(const std::string& what, int errno_value);

}  // namespace msearch::ipc
