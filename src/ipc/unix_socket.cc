#include "ipc/unix_socket.h"

#include <cerrno>
#include <cstring>
#include <string>

#include <unistd.h>

#include "common/error.h"
#include "ipc/socket_path.h"

namespace msearch::ipc {

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) Reset(std::exchange(other.fd_, -1));
  return *this;
}

void FileDescriptor::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

sockaddr_un MakeUnixAddress(const std::filesystem::path& path) {
  CheckSocketPathLength(path);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string& text = path.native();
  std::memcpy(address.sun_path, text.data(), text.size());
  return address;
}

FileDescriptor NewUnixStreamSocket() {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw Error(ErrnoMessage("creating a Unix domain socket", errno));
  return FileDescriptor(fd);
}

std::string ErrnoMessage(const std::string& what, int errno_value) {
  return what + " failed: " + std::strerror(errno_value);
}

}  // namespace msearch::ipc
