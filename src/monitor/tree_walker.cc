#include "monitor/tree_walker.h"

#include <cerrno>
#include <chrono>
#include <set>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/logging.h"

namespace msearch::monitor {
namespace {

LogRateLimiter& WalkLogLimiter() {
  static LogRateLimiter limiter(20, std::chrono::seconds(60));
  return limiter;
}

void AddError(WalkResult& result, const std::string& path, const std::string& message) {
  size_t suppressed = 0;
  if (WalkLogLimiter().Allow("walk", &suppressed)) {
    spdlog::warn("file monitor: cannot read '{}': {}; its catalog entries are kept{}", path,
                 message,
                 suppressed > 0 ? fmt::format(" ({} similar warnings suppressed)", suppressed)
                                : std::string());
  }
  result.errors.push_back({path, message});
}

// Reads one open directory: files go to `on_file`, folders to be entered are
// appended to `subdirectories`. Takes ownership of `fd`.
void ReadDirectory(const WatchRoot& root, const FileFilter& filter, const std::string& directory,
                   int fd, const std::function<void(store::FileObservation&&)>& on_file,
                   std::vector<std::string>& subdirectories, WalkResult& result) {
  DIR* handle = fdopendir(fd);
  if (handle == nullptr) {
    AddError(result, directory, strerror(errno));
    close(fd);
    return;
  }
  for (;;) {
    errno = 0;
    dirent* entry = readdir(handle);
    if (entry == nullptr) {
      if (errno != 0) AddError(result, directory, strerror(errno));
      break;
    }
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;

    unsigned char type = entry->d_type;
    if (type == DT_UNKNOWN) {
      // Some file systems (XFS without ftype, some network mounts) leave the
      // type out of the directory listing.
      struct stat info;
      if (fstatat(fd, entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT) AddError(result, JoinPath(directory, name), strerror(errno));
        continue;
      }
      type = IFTODT(info.st_mode);
    }

    std::string path = JoinPath(directory, name);
    if (type == DT_DIR) {
      if (root.recursive && filter.AllowsDirectory(name)) {
        subdirectories.push_back(std::move(path));
      } else {
        ++result.skipped;
      }
      continue;
    }

    EntryProbe probe = ProbeEntry(root, filter, fd, entry->d_name, name, path);
    switch (probe.result) {
      case ProbeResult::kIndexed:
        on_file(std::move(probe.observation));
        break;
      case ProbeResult::kSkipped:
        ++result.skipped;
        spdlog::debug("file monitor: skipped '{}': {}", path, probe.reason);
        break;
      case ProbeResult::kGone:
        break;
      case ProbeResult::kFailed:
        if (probe.error_number == EACCES) {
          // A folder that can be listed but not searched (mode r--): every
          // entry fails alike, so report the folder once.
          AddError(result, directory, probe.reason);
          closedir(handle);
          return;
        }
        AddError(result, path, probe.reason);
        break;
    }
  }
  closedir(handle);
}

}  // namespace

WalkResult WalkTree(const WatchRoot& root, const FileFilter& filter, const std::string& start,
                    const std::function<void(store::FileObservation&&)>& on_file,
                    std::stop_token stop) {
  WalkResult result;
  std::set<std::pair<dev_t, ino_t>> visited;
  std::vector<std::string> pending = {start};
  bool at_start = true;

  while (!pending.empty()) {
    if (stop.stop_requested()) return result;
    std::string directory = std::move(pending.back());
    pending.pop_back();

    // The start folder may itself be a symbolic link (a watched folder given
    // through a link); every folder below is opened without following one.
    int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (at_start ? 0 : O_NOFOLLOW);
    int fd = open(directory.c_str(), flags);
    if (fd < 0) {
      int error = errno;
      if (at_start) {
        result.errors.push_back({directory, strerror(error)});
        return result;
      }
      if (error == ENOENT) continue;  // removed during the walk
      if (error == ELOOP || error == ENOTDIR) {
        ++result.skipped;  // replaced by a symbolic link or a file during the walk
        continue;
      }
      AddError(result, directory, strerror(error));
      continue;
    }
    at_start = false;

    struct stat info;
    if (fstat(fd, &info) != 0 || !visited.emplace(info.st_dev, info.st_ino).second) {
      close(fd);
      ++result.skipped;
      continue;
    }
    ReadDirectory(root, filter, directory, fd, on_file, pending, result);
  }
  result.complete = !stop.stop_requested();
  return result;
}

}  // namespace msearch::monitor
