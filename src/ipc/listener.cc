#include "ipc/listener.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "ipc/socket_path.h"

namespace msearch::ipc {
namespace {

// Removes a socket file left by a server that has exited. Throws when the path
// is not a socket or a live server still accepts connections on it.
void RemoveStaleSocket(const std::filesystem::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return;
    throw Error(ErrnoMessage(fmt::format("inspecting socket path '{}'", path.string()), errno));
  }
  if (!S_ISSOCK(info.st_mode)) {
    throw Error(
        fmt::format("'{}' exists and is not a socket, so the IPC server will not replace "
                    "it; remove it, or set ipc.local_ipc.socket_path to another path",
                    path.string()));
  }

  // A live server accepts the probe (or reports a full backlog with EAGAIN);
  // a socket file whose server has died refuses it.
  FileDescriptor probe = NewUnixStreamSocket();
  sockaddr_un address = MakeUnixAddress(path);
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0 ||
      errno == EAGAIN || errno == EINPROGRESS) {
    throw Error(
        fmt::format("another msearch server is already listening on '{}'; stop it first, "
                    "or set ipc.local_ipc.socket_path to another path",
                    path.string()));
  }
  if (errno != ECONNREFUSED) {
    throw Error(ErrnoMessage(fmt::format("probing existing socket '{}'", path.string()), errno));
  }
  // NOTE: two servers starting at the same moment can both find the file
  // stale; the second unlink then removes the first server's new socket.
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw Error(ErrnoMessage(fmt::format("removing stale socket '{}'", path.string()), errno));
  }
  spdlog::info("removed stale socket {} left by a server that is no longer running", path.string());
}

}  // namespace

ListeningSocket ListenAt(const std::filesystem::path& path, int backlog) {
  sockaddr_un address = MakeUnixAddress(path);
  RemoveStaleSocket(path);
  FileDescriptor fd = NewUnixStreamSocket();

  // bind() creates the socket file with the process umask; 077 keeps it
  // private from the start instead of only after the chmod below. umask is
  // per process, so files other threads create meanwhile are also private.
  mode_t old_umask = ::umask(077);
  int result = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  int bind_errno = errno;
  ::umask(old_umask);
  if (result != 0) {
    throw Error(
        fmt::format("cannot bind IPC socket '{}': {}; check that its directory exists "
                    "and is writable, or set ipc.local_ipc.socket_path",
                    path.string(), std::strerror(bind_errno)));
  }

  struct stat info {};
  if (::chmod(path.c_str(), 0600) != 0 || ::lstat(path.c_str(), &info) != 0 ||
      ::listen(fd.get(), backlog) != 0) {
    int error = errno;
    ::unlink(path.c_str());
    throw Error(ErrnoMessage(fmt::format("setting up IPC socket '{}'", path.string()), error));
  }
  return ListeningSocket{std::move(fd), info.st_dev, info.st_ino};
}

void RemoveSocketFile(const std::filesystem::path& path, const ListeningSocket& socket) {
  if (!socket.fd.valid()) return;
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0 && info.st_dev == socket.device &&
      info.st_ino == socket.inode) {
    ::unlink(path.c_str());
  }
}

}  // namespace msearch::ipc
