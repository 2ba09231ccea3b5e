#include "monitor/entry_probe.h"

#include <cerrno>
#include <memory>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

namespace msearch::monitor {
namespace {

EntryProbe Skipped(std::string reason) {
  EntryProbe probe;
  probe.result = ProbeResult::kSkipped;
  probe.reason = std::move(reason);
  return probe;
}

// Maps a failed lstat/stat to kGone when the entry vanished and kFailed
// otherwise.
EntryProbe FromErrno(int error) {
  EntryProbe probe;
  probe.result = (error == ENOENT || error == ENOTDIR) ? ProbeResult::kGone : ProbeResult::kFailed;
  probe.reason = strerror(error);
  probe.error_number = error;
  return probe;
}

std::string RealPath(const std::string& path) {
  std::unique_ptr<char, decltype(&free)> resolved(realpath(path.c_str(), nullptr), &free);
  return resolved ? std::string(resolved.get()) : std::string();
}

// True when the link at `link_path` resolves to a file that the scan of the
// same tree indexes under its own path.
bool LinkTargetIndexed(const WatchRoot& root, const FileFilter& filter,
                       const std::string& link_path) {
  if (root.canonical_path.empty()) return false;
  std::string target = RealPath(link_path);
  if (target.empty()) return false;
  WatchRoot canonical_root = root;
  canonical_root.path = root.canonical_path;
  return IsInScope(canonical_root, filter, target);
}

}  // namespace

std::filesystem::path NormalizeDirectoryPath(const std::filesystem::path& path) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) absolute = path;
  std::string normal = absolute.lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

WatchRoot MakeWatchRoot(const store::DirectoryRecord& directory) {
  WatchRoot root;
  root.directory_id = directory.id;
  root.path = NormalizeDirectoryPath(directory.path).string();
  root.canonical_path = RealPath(root.path);
  root.recursive = directory.recursive;
  return root;
}

bool IsPathWithin(std::string_view path, std::string_view directory) {
  if (!path.starts_with(directory)) return false;
  if (path.size() == directory.size()) return true;
  return directory.ends_with('/') || path[directory.size()] == '/';
}

std::string JoinPath(std::string_view directory, std::string_view name) {
  std::string joined(directory);
  if (joined.empty() || joined.back() != '/') joined.push_back('/');
  joined.append(name);
  return joined;
}

bool IsInScope(const WatchRoot& root, const FileFilter& filter, std::string_view path) {
  if (path.size() <= root.path.size() || !IsPathWithin(path, root.path)) return false;
  std::string_view relative = path.substr(root.path.size());
  if (relative.starts_with('/')) relative.remove_prefix(1);

  // Every component but the last is a folder the scan must be allowed into.
  size_t slash;
  while ((slash = relative.find('/')) != std::string_view::npos) {
    if (!root.recursive) return false;
    std::string_view folder = relative.substr(0, slash);
    if (folder.empty() || !filter.AllowsDirectory(folder)) return false;
    relative.remove_prefix(slash + 1);
  }
  return !relative.empty() && filter.KindOf(relative).has_value();
}

EntryProbe ProbeEntry(const WatchRoot& root, const FileFilter& filter, int directory_fd,
                      const char* entry, std::string_view file_name, const std::string& path) {
  std::optional<std::string_view> kind = filter.KindOf(file_name);
  if (!kind) return Skipped("unsupported or ignored file name");

  struct stat link_info;
  if (fstatat(directory_fd, entry, &link_info, AT_SYMLINK_NOFOLLOW) != 0) return FromErrno(errno);

  struct stat info = link_info;
  if (S_ISLNK(link_info.st_mode)) {
    if (fstatat(directory_fd, entry, &info, 0) != 0) {
      return Skipped(std::string("broken symbolic link: ") + strerror(errno));
    }
    if (S_ISDIR(info.st_mode)) return Skipped("symbolic link to a directory, not followed");
    if (!S_ISREG(info.st_mode)) return Skipped("symbolic link to a special file");
    if (LinkTargetIndexed(root, filter, path)) {
      return Skipped("symbolic link to a file indexed under its own path");
    }
  } else if (!S_ISREG(link_info.st_mode)) {
    return Skipped("not a regular file");
  }

  EntryProbe probe;
  probe.result = ProbeResult::kIndexed;
  store::FileObservation& observation = probe.observation;
  observation.directory_id = root.directory_id;
  observation.path = path;
  observation.kind = std::string(*kind);
  observation.size = static_cast<uint64_t>(info.st_size);
  observation.mtime_ns =
      static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
  observation.inode = static_cast<uint64_t>(info.st_ino);
  observation.device = static_cast<uint64_t>(info.st_dev);
  return probe;
}

EntryProbe ProbeFile(const WatchRoot& root, const FileFilter& filter, const std::string& path) {
  std::string_view file_name = path;
  size_t slash = file_name.rfind('/');
  if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
  return ProbeEntry(root, filter, AT_FDCWD, path.c_str(), file_name, path);
}

}  // namespace msearch::monitor
