#pragma once

#include <filesystem>

#include <sys/types.h>

#include "ipc/unix_socket.h"

namespace msearch::ipc {

// A listening Unix domain socket and the identity of the socket file it
// created. The bound socket keeps its inode allocated until it is closed, so
// while `fd` is open no other file at the path can have the same device and
// inode numbers.
struct ListeningSocket {
  FileDescriptor fd;
  dev_t device = 0;
  ino_t inode = 0;
};

// Creates a non-blocking listening socket at `path` with file mode 0600.
// An existing socket file is probed first. If a server accepts the probe,
// this throws. If the connection is refused, the file is stale and is
// replaced. Also throws msearch::Error when the path is too long or is not a
// socket, or when a system call fails.
ListeningSocket ListenAt(const std::filesystem::path& path, int backlog);

// Unlinks `path` if it is still the socket file of `socket`, so a server
// never removes the file of a newer server on the same path. Call it before
// closing socket.fd.
void RemoveSocketFile(const std::filesystem::path& path, const ListeningSocket& socket);

}  // namespace msearch::ipc
