#include "ipc/socket_path.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "ipc/unix_socket.h"

namespace msearch::ipc {
namespace {

constexpr char kFixHint[] = "remove it, or choose another data_dir or ipc.local_ipc.socket_path";

// Returns true when `runtime_dir` can hold the socket directory, following the
// XDG Base Directory rules: absolute, a directory, owned by us and writable.
bool UsableRuntimeDir(const char* runtime_dir) {
  if (runtime_dir == nullptr || runtime_dir[0] != '/') return false;
  struct stat info {};
  if (::stat(runtime_dir, &info) != 0) return false;
  if (!S_ISDIR(info.st_mode) || info.st_uid != ::geteuid()) return false;
  return ::access(runtime_dir, W_OK | X_OK) == 0;
}

void CreateDirectory(const std::filesystem::path& dir) {
  std::error_code error;
  if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), error);
  if (error) {
    throw Error(fmt::format("cannot create the parent folders of socket directory '{}': {}",
                            dir.string(), error.message()));
  }
  if (::mkdir(dir.c_str(), 0700) == 0) {
    spdlog::info("created socket directory {} with mode 0700", dir.string());
    return;
  }
  if (errno != EEXIST) {
    throw Error(
        fmt::format("cannot create socket directory '{}': {}; check the permissions of "
                    "its parent, or choose another data_dir or ipc.local_ipc.socket_path",
                    dir.string(), std::strerror(errno)));
  }
}

// Classifies an existing path with lstat so the error names the real problem
// (symbolic link, not a directory) before we open it.
void CheckNotLinkOrFile(const std::filesystem::path& dir) {
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0) {
    throw Error(fmt::format("cannot inspect socket directory '{}': {}", dir.string(),
                            std::strerror(errno)));
  }
  if (S_ISLNK(info.st_mode)) {
    throw Error(
        fmt::format("socket directory '{}' is a symbolic link, but msearch only uses a "
                    "real directory owned by the current user; {}",
                    dir.string(), kFixHint));
  }
  if (!S_ISDIR(info.st_mode)) {
    throw Error(fmt::format("socket directory '{}' exists but is not a directory; {}", dir.string(),
                            kFixHint));
  }
}

}  // namespace

std::filesystem::path DefaultSocketDir(const std::filesystem::path& data_dir) {
  const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
  if (UsableRuntimeDir(runtime_dir)) return std::filesystem::path(runtime_dir) / "msearch";

  std::filesystem::path fallback = std::filesystem::absolute(data_dir) / "run";
  if (runtime_dir != nullptr && runtime_dir[0] != '\0') {
    spdlog::debug("XDG_RUNTIME_DIR '{}' is not a writable directory owned by uid {}; using {}",
                  runtime_dir, ::geteuid(), fallback.string());
  }
  return fallback;
}

std::filesystem::path DefaultSocketPath(const std::filesystem::path& data_dir) {
  return DefaultSocketDir(data_dir) / kSocketFileName;
}

void PrepareSocketDir(const std::filesystem::path& dir) {
  CreateDirectory(dir);
  CheckNotLinkOrFile(dir);

  // Checks and chmod go through one descriptor opened without following
  // links, so a directory swapped for a link after lstat is not touched.
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    throw Error(fmt::format("cannot open socket directory '{}': {}; {}", dir.string(),
                            std::strerror(errno), kFixHint));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    throw Error(fmt::format("cannot inspect socket directory '{}': {}", dir.string(),
                            std::strerror(errno)));
  }
  if (info.st_uid != ::geteuid()) {
    throw Error(
        fmt::format("socket directory '{}' is owned by uid {}, not by the current user "
                    "(uid {}), so other users could reach the socket; {}",
                    dir.string(), info.st_uid, ::geteuid(), kFixHint));
  }
  mode_t mode = info.st_mode & 07777;
  if (mode != 0700) {
    if (::fchmod(fd.get(), 0700) != 0) {
      throw Error(fmt::format("cannot set mode 0700 on socket directory '{}': {}; {}", dir.string(),
                              std::strerror(errno), kFixHint));
    }
    spdlog::info("changed mode of socket directory {} from {:04o} to 0700", dir.string(), mode);
  }
}

void CheckSocketPathLength(const std::filesystem::path& socket_path) {
  size_t length = socket_path.native().size();
  if (length == 0) throw Error("the IPC socket path is empty; set ipc.local_ipc.socket_path");
  if (length > kMaxSocketPathBytes) {
    throw Error(
        fmt::format("socket path '{}' is {} bytes, but Unix domain socket paths are "
                    "limited to {} bytes; use a shorter data_dir, or set "
                    "ipc.local_ipc.socket_path to a shorter path",
                    socket_path.string(), length, kMaxSocketPathBytes));
  }
}

}  // namespace msearch::ipc
