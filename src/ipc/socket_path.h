#pragma once

#include <cstddef>
#include <filesystem>

namespace msearch::ipc {

// File name of the main process's socket inside the socket directory.
inline constexpr char kSocketFileName[] = "msearch.sock";

// Maximum socket path length in bytes. sockaddr_un::sun_path is 108 bytes on
// Linux, and the path needs a terminating NUL.
inline constexpr size_t kMaxSocketPathBytes = 107;

// Returns the directory for the socket: `$XDG_RUNTIME_DIR/msearch` when
// XDG_RUNTIME_DIR is an absolute path to an existing directory owned and
// writable by the current user, else `<data_dir>/run` (made absolute against
// the working directory). Creates nothing; call PrepareSocketDir next.
std::filesystem::path DefaultSocketDir(const std::filesystem::path& data_dir);

// Returns DefaultSocketDir(data_dir) / kSocketFileName.
std::filesystem::path DefaultSocketPath(const std::filesystem::path& data_dir);

// Makes `dir` a private directory for the socket. Creates it with mode 0700
// (and its missing parents with default permissions). An existing `dir` must
// be a real directory, not a symbolic link, and owned by the effective uid.
// Its mode is then set to 0700 if it differs, so 0755 is tightened.
// Throws msearch::Error naming the path and the fix when a check or a system
// call fails.
void PrepareSocketDir(const std::filesystem::path& dir);

// Throws msearch::Error when `socket_path` is empty or longer than
// kMaxSocketPathBytes; the message suggests a shorter data_dir or
// ipc.local_ipc.socket_path.
void CheckSocketPathLength(const std::filesystem::path& socket_path);

}  // namespace msearch::ipc
