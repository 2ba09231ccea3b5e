#include "monitor/inotify_watcher.h"

#include <algorithm>
#include <cerrno>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/logging.h"
#include "monitor/entry_probe.h"

namespace msearch::monitor {
namespace {

constexpr uint32_t kWatchMask = IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_DELETE |
                                IN_DELETE_SELF | IN_MOVED_FROM | IN_MOVED_TO | IN_MOVE_SELF |
                                IN_ONLYDIR | IN_EXCL_UNLINK;

LogRateLimiter& WatchLogLimiter() {
  static LogRateLimiter limiter(20, std::chrono::seconds(60));
  return limiter;
}

// Lists the folders directly inside `directory` that the filter allows,
// without following symbolic links.
std::vector<std::string> ListSubdirectories(const std::string& directory,
                                            const FileFilter& filter) {
  std::vector<std::string> subdirectories;
  DIR* handle = opendir(directory.c_str());
  if (handle == nullptr) return subdirectories;
  int fd = dirfd(handle);
  while (dirent* entry = readdir(handle)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    unsigned char type = entry->d_type;
    if (type == DT_UNKNOWN) {
      struct stat info;
      if (fstatat(fd, entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = IFTODT(info.st_mode);
    }
    if (type == DT_DIR && filter.AllowsDirectory(name)) {
      subdirectories.push_back(JoinPath(directory, name));
    }
  }
  closedir(handle);
  return subdirectories;
}

}  // namespace

InotifyWatcher::InotifyWatcher(const FileFilter& filter, EventHandler handler)
    : filter_(filter), handler_(std::move(handler)) {
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    throw Error(fmt::format(
        "file monitor: inotify_init1 failed: {}; if the per-user instance limit is reached, "
        "raise fs.inotify.max_user_instances",
        strerror(errno)));
  }
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd_ < 0) {
    int error = errno;
    close(inotify_fd_);
    throw Error(fmt::format("file monitor: eventfd failed: {}", strerror(error)));
  }
}

InotifyWatcher::~InotifyWatcher() {
  Stop();
  close(stop_fd_);
  close(inotify_fd_);
}

void InotifyWatcher::Start() {
  if (thread_.joinable()) return;
  uint64_t drained;
  while (read(stop_fd_, &drained, sizeof(drained)) > 0) {
  }
  thread_ = std::thread([this] { Run(); });
}

void InotifyWatcher::Stop() {
  if (!thread_.joinable()) return;
  uint64_t increment = 1;
  if (write(stop_fd_, &increment, sizeof(increment)) < 0) {
    spdlog::error("file monitor: cannot wake the inotify thread: {}", strerror(errno));
  }
  thread_.join();
}

size_t InotifyWatcher::watch_count() const {
  std::lock_guard lock(mutex_);
  return path_by_wd_.size();
}

bool InotifyWatcher::AddRoot(const std::string& root, bool recursive) {
  std::lock_guard lock(mutex_);
  roots_[root] = Root{recursive};
  return WatchTreeLocked(root, recursive, /*is_root=*/true);
}

void InotifyWatcher::RemoveRoot(const std::string& root) {
  std::lock_guard lock(mutex_);
  roots_.erase(root);
  ForgetTreeLocked(root, /*remove_watches=*/true, /*keep_covered=*/true);
}

int InotifyWatcher::AddWatchLocked(const std::string& path, bool is_root) {
  uint32_t mask = kWatchMask | (is_root ? 0 : IN_DONT_FOLLOW);
  int wd = inotify_add_watch(inotify_fd_, path.c_str(), mask);
  if (wd >= 0) return wd;

  int error = errno;
  if (error == ENOSPC) {
    if (!watch_limit_reached_.exchange(true)) {
      spdlog::error(
          "file monitor: the inotify watch limit is reached at {} watches, while watching '{}'; "
          "changes in unwatched folders are found by the periodic rescan only. Raise "
          "fs.inotify.max_user_watches, e.g. sudo sysctl fs.inotify.max_user_watches=524288",
          path_by_wd_.size(), path);
    }
  } else if (error != ENOENT && error != ENOTDIR && error != ELOOP) {
    size_t suppressed = 0;
    if (WatchLogLimiter().Allow("add_watch", &suppressed)) {
      spdlog::warn("file monitor: cannot watch '{}': {} ({} similar warnings suppressed)", path,
                   strerror(error), suppressed);
    }
  }
  return -error;
}

bool InotifyWatcher::WatchTreeLocked(const std::string& start, bool recursive, bool is_root) {
  std::vector<std::string> pending = {start};
  bool start_usable = false;
  bool at_start = true;
  while (!pending.empty()) {
    std::string directory = std::move(pending.back());
    pending.pop_back();
    const bool this_is_start = at_start;
    at_start = false;

    int wd = AddWatchLocked(directory, this_is_start && is_root);
    if (wd == -ENOSPC) return start_usable || this_is_start;
    if (wd < 0) continue;
    if (this_is_start) start_usable = true;

    auto existing = path_by_wd_.find(wd);
    if (existing != path_by_wd_.end() && existing->second != directory) {
      std::error_code error;
      if (std::filesystem::exists(existing->second, error)) {
        // The same folder under a second path (a bind mount inside the
        // tree): keep the first path and do not walk it again, which also
        // ends mount loops.
        continue;
      }
      // The folder moved and its move event is still queued.
      wd_by_path_.erase(existing->second);
    }
    path_by_wd_[wd] = directory;
    wd_by_path_[directory] = wd;

    if (!recursive) continue;
    for (std::string& subdirectory : ListSubdirectories(directory, filter_)) {
      pending.push_back(std::move(subdirectory));
    }
  }
  return start_usable;
}

void InotifyWatcher::ForgetTreeLocked(const std::string& directory, bool remove_watches,
                                      bool keep_covered) {
  for (auto it = wd_by_path_.lower_bound(directory);
       it != wd_by_path_.end() && it->first.starts_with(directory);) {
    if (!IsPathWithin(it->first, directory) || (keep_covered && IsCoveredLocked(it->first))) {
      ++it;
      continue;
    }
    if (remove_watches) inotify_rm_watch(inotify_fd_, it->second);
    path_by_wd_.erase(it->second);
    it = wd_by_path_.erase(it);
  }
}

void InotifyWatcher::RenameTreeLocked(const std::string& old_directory,
                                      const std::string& new_directory) {
  std::vector<std::pair<std::string, int>> moved;
  for (auto it = wd_by_path_.lower_bound(old_directory);
       it != wd_by_path_.end() && it->first.starts_with(old_directory);) {
    if (!IsPathWithin(it->first, old_directory)) {
      ++it;
      continue;
    }
    moved.emplace_back(new_directory + it->first.substr(old_directory.size()), it->second);
    it = wd_by_path_.erase(it);
  }
  for (auto& [path, wd] : moved) {
    path_by_wd_[wd] = path;
    wd_by_path_[path] = wd;
  }
}

bool InotifyWatcher::IsCoveredLocked(const std::string& directory) const {
  for (const auto& [root, info] : roots_) {
    if (directory == root) return true;
    if (info.recursive && IsPathWithin(directory, root)) return true;
  }
  return false;
}

bool InotifyWatcher::SubdirectoryInScopeLocked(const std::string& parent,
                                               std::string_view name) const {
  // The parent is watched, so its root is the longest root containing it.
  const Root* best = nullptr;
  size_t best_length = 0;
  for (const auto& [root, info] : roots_) {
    if (IsPathWithin(parent, root) && root.size() >= best_length) {
      best = &info;
      best_length = root.size();
    }
  }
  return best != nullptr && best->recursive && filter_.AllowsDirectory(name);
}

void InotifyWatcher::Run() {
  spdlog::debug("file monitor: inotify thread started");
  pollfd descriptors[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    int timeout_ms = -1;
    if (!pending_moves_.empty()) {
      auto earliest = std::min_element(pending_moves_.begin(), pending_moves_.end(),
                                       [](const PendingMove& a, const PendingMove& b) {
                                         return a.expires < b.expires;
                                       })
                          ->expires;
      auto wait =
          std::chrono::ceil<std::chrono::milliseconds>(earliest - std::chrono::steady_clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, wait.count()));
    }
    int ready = poll(descriptors, 2, timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      spdlog::error("file monitor: poll on the inotify descriptor failed: {}; the watcher stops",
                    strerror(errno));
      break;
    }
    if (descriptors[1].revents != 0) break;
    if (descriptors[0].revents & POLLIN) ReadEvents();
    ExpireMoves(std::chrono::steady_clock::now());
    Flush();
  }
  spdlog::debug("file monitor: inotify thread stopped");
}

void InotifyWatcher::ReadEvents() {
  alignas(::inotify_event) char buffer[64 * 1024];
  // Drain what is queued, so that both halves of a move are usually seen
  // together; the bound keeps expiry and flushing going under a flood.
  for (int reads = 0; reads < 16; ++reads) {
    ssize_t length = read(inotify_fd_, buffer, sizeof(buffer));
    if (length <= 0) {
      if (length < 0 && errno != EAGAIN && errno != EINTR) {
        spdlog::error("file monitor: reading inotify events failed: {}", strerror(errno));
      }
      return;
    }
    std::lock_guard lock(mutex_);
    for (ssize_t offset = 0; offset < length;) {
      const auto* event = reinterpret_cast<const ::inotify_event*>(buffer + offset);
      HandleEvent(*event);
      offset += static_cast<ssize_t>(sizeof(::inotify_event) + event->len);
    }
  }
}

void InotifyWatcher::Emit(WatchEvent event) {
  Slot slot;
  slot.events.push_back(std::move(event));
  output_.push_back(std::move(slot));
}

void InotifyWatcher::HandleEvent(const ::inotify_event& event) {
  if (event.mask & IN_Q_OVERFLOW) {
    spdlog::warn("file monitor: the inotify event queue overflowed; a full rescan follows");
    Emit({WatchEvent::Type::kOverflow, {}, {}, false});
    return;
  }
  auto found = path_by_wd_.find(event.wd);
  if (found == path_by_wd_.end()) return;  // a watch removed since
  const std::string directory = found->second;

  if (event.mask & IN_IGNORED) {
    // The kernel dropped the watch: the folder is gone or was unmounted.
    auto by_path = wd_by_path_.find(directory);
    if (by_path != wd_by_path_.end() && by_path->second == event.wd) wd_by_path_.erase(by_path);
    path_by_wd_.erase(found);
    return;
  }
  if (event.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
    // A folder below a root reports its removal through its parent instead.
    if (roots_.contains(directory)) {
      Emit({WatchEvent::Type::kRootGone, directory, {}, true});
    }
    return;
  }
  if (event.len == 0) return;

  const std::string_view name = event.name;
  const std::string path = JoinPath(directory, name);
  const bool is_directory = (event.mask & IN_ISDIR) != 0;
  const bool directory_in_scope = is_directory && SubdirectoryInScopeLocked(directory, name);

  if (event.mask & IN_MOVED_FROM) {
    output_.push_back(Slot{false, {}});
    pending_moves_.push_back({event.cookie, path, is_directory, directory_in_scope,
                              std::chrono::steady_clock::now() + kMovePairWindow, &output_.back()});
    return;
  }

  if (event.mask & IN_MOVED_TO) {
    auto from = std::find_if(pending_moves_.begin(), pending_moves_.end(),
                             [&](const PendingMove& move) { return move.cookie == event.cookie; });
    if (from != pending_moves_.end()) {
      PendingMove move = std::move(*from);
      pending_moves_.erase(from);
      ResolveMove(move, path, directory_in_scope);
      return;
    }
    // Moved in from outside the watched trees: a new file or folder.
    if (is_directory) {
      if (directory_in_scope && WatchTreeLocked(path, true, false)) {
        Emit({WatchEvent::Type::kDirectoryAdded, path, {}, true});
      }
    } else if (filter_.KindOf(name)) {
      Emit({WatchEvent::Type::kChanged, path, {}, false});
    }
    return;
  }

  if (event.mask & IN_CREATE) {
    if (is_directory) {
      if (directory_in_scope && WatchTreeLocked(path, true, false)) {
        Emit({WatchEvent::Type::kDirectoryAdded, path, {}, true});
      }
    } else if (filter_.KindOf(name)) {
      Emit({WatchEvent::Type::kChanged, path, {}, false});
    }
    return;
  }

  if (event.mask & IN_DELETE) {
    if (is_directory) {
      if (directory_in_scope) {
        ForgetTreeLocked(path, /*remove_watches=*/false, /*keep_covered=*/false);
        Emit({WatchEvent::Type::kRemoved, path, {}, true});
      }
    } else if (filter_.KindOf(name)) {
      Emit({WatchEvent::Type::kRemoved, path, {}, false});
    }
    return;
  }

  if (event.mask & (IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB)) {
    if (is_directory) {
      // A folder that could not be watched before (permission denied) may
      // have been made readable: watch it and have it scanned.
      if ((event.mask & IN_ATTRIB) && directory_in_scope && !wd_by_path_.contains(path) &&
          WatchTreeLocked(path, true, false)) {
        Emit({WatchEvent::Type::kDirectoryAdded, path, {}, true});
      }
    } else if (filter_.KindOf(name)) {
      Emit({WatchEvent::Type::kChanged, path, {}, false});
    }
  }
}

void InotifyWatcher::ResolveMove(const PendingMove& from, const std::string& to_path,
                                 bool to_in_scope) {
  Slot& slot = *from.slot;
  slot.resolved = true;
  if (!from.is_directory) {
    std::string_view old_name = std::string_view(from.path).substr(from.path.rfind('/') + 1);
    std::string_view new_name = std::string_view(to_path).substr(to_path.rfind('/') + 1);
    if (filter_.KindOf(old_name) || filter_.KindOf(new_name)) {
      slot.events.push_back({WatchEvent::Type::kMoved, to_path, from.path, false});
    }
    return;
  }

  if (from.directory_in_scope && to_in_scope) {
    RenameTreeLocked(from.path, to_path);
    if (!wd_by_path_.contains(to_path)) WatchTreeLocked(to_path, true, false);
    slot.events.push_back({WatchEvent::Type::kMoved, to_path, from.path, true});
  } else if (from.directory_in_scope) {
    ForgetTreeLocked(from.path, /*remove_watches=*/true, /*keep_covered=*/false);
    slot.events.push_back({WatchEvent::Type::kRemoved, from.path, {}, true});
  } else if (to_in_scope) {
    if (WatchTreeLocked(to_path, true, false)) {
      slot.events.push_back({WatchEvent::Type::kDirectoryAdded, to_path, {}, true});
    }
  }
}

void InotifyWatcher::ExpireMoves(std::chrono::steady_clock::time_point now) {
  if (pending_moves_.empty()) return;
  std::lock_guard lock(mutex_);
  for (auto it = pending_moves_.begin(); it != pending_moves_.end();) {
    if (it->expires > now) {
      ++it;
      continue;
    }
    // No IN_MOVED_TO arrived: the entry left the watched trees.
    Slot& slot = *it->slot;
    slot.resolved = true;
    std::string_view name = std::string_view(it->path).substr(it->path.rfind('/') + 1);
    if (it->is_directory) {
      if (it->directory_in_scope) {
        ForgetTreeLocked(it->path, /*remove_watches=*/true, /*keep_covered=*/false);
        slot.events.push_back({WatchEvent::Type::kMovedOut, it->path, {}, true});
      }
    } else if (filter_.KindOf(name)) {
      slot.events.push_back({WatchEvent::Type::kMovedOut, it->path, {}, false});
    }
    it = pending_moves_.erase(it);
  }
}

void InotifyWatcher::Flush() {
  std::vector<WatchEvent> ready;
  while (!output_.empty() && output_.front().resolved) {
    for (WatchEvent& event : output_.front().events) ready.push_back(std::move(event));
    output_.pop_front();
  }
  if (!ready.empty()) handler_(std::move(ready));
}

}  // namespace msearch::monitor
