#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "monitor/file_filter.h"

struct inotify_event;

namespace msearch::monitor {

// A change below a watched root, in terms of paths rather than inotify's
// watch descriptors and cookies.
struct WatchEvent {
  enum class Type {
    kChanged,   // a file was created, written, closed after writing or had its attributes changed
    kRemoved,   // a file or folder was deleted, or renamed to a name the filter rejects
    kMovedOut,  // a file or folder moved out of the watched trees (IN_MOVED_FROM without
                // IN_MOVED_TO), or into a folder whose watch did not exist yet
    kMoved,     // a file or folder moved from `old_path` to `path`, both watched
    kDirectoryAdded,  // a folder appeared (created, moved in, made readable): its tree is
                      // watched now, and files already in it must be scanned
    kRootGone,        // a watched root was deleted, moved away or unmounted
    kOverflow,        // the kernel queue overflowed and events were lost: rescan everything
  };

  Type type = Type::kChanged;
  std::string path;
  std::string old_path;  // kMoved only
  bool is_directory = false;
};

// Watches directory trees with inotify on a thread of its own and hands the
// resulting WatchEvents, in the order they happened, to a handler. Every
// folder of a tree gets a watch; folders that appear later get theirs before
// their kDirectoryAdded event is delivered. IN_MOVED_FROM and IN_MOVED_TO are
// paired by cookie into one kMoved. A move out of the watched trees (no
// IN_MOVED_TO within kMovePairWindow) becomes kMovedOut, and a move in
// becomes kChanged or kDirectoryAdded. Events for names the filter rejects
// are dropped, except moves, whose other end may be a media file.
//
// When the per-user watch limit (fs.inotify.max_user_watches) is reached, the
// watcher logs the fix once and leaves the remaining folders unwatched. The
// caller's periodic rescan covers them.
class InotifyWatcher {
 public:
  using EventHandler = std::function<void(std::vector<WatchEvent> events)>;

  // How long an IN_MOVED_FROM waits for its IN_MOVED_TO. The kernel queues
  // both within one rename call, so this only bounds a preempted renamer.
  static constexpr std::chrono::milliseconds kMovePairWindow{100};

  // Creates the inotify instance. `handler` runs on the watcher thread and
  // must not call back into the watcher. Throws msearch::Error when inotify
  // is unavailable (for example fs.inotify.max_user_instances reached).
  InotifyWatcher(const FileFilter& filter, EventHandler handler);
  ~InotifyWatcher();

  InotifyWatcher(const InotifyWatcher&) = delete;
  InotifyWatcher& operator=(const InotifyWatcher&) = delete;

  // Starts the reader thread. Stop ends and joins it; Stop is idempotent and
  // also called by the destructor.
  void Start();
  void Stop();

  // Adds watches for `root` and, when `recursive`, every folder below it that
  // the filter allows, without following symbolic links below the root.
  // Calling it again adds what is missing and keeps existing watches, so a
  // rescan can fill gaps. Returns false when the root itself could not be
  // watched, except at the watch limit. Thread-safe.
  bool AddRoot(const std::string& root, bool recursive);
  // Removes the watches of `root`'s tree, except folders another root still
  // covers. Thread-safe.
  void RemoveRoot(const std::string& root);

  size_t watch_count() const;
  bool watch_limit_reached() const { return watch_limit_reached_; }

 private:
  struct Root {
    bool recursive = true;
  };
  // Output in event order. An IN_MOVED_FROM leaves an unresolved slot that
  // holds back later events until its pair arrives or its window ends.
  struct Slot {
    bool resolved = true;
    std::vector<WatchEvent> events;
  };
  struct PendingMove {
    uint32_t cookie = 0;
    std::string path;
    bool is_directory = false;
    bool directory_in_scope = false;  // a folder the tree walk would enter
    std::chrono::steady_clock::time_point expires;
    Slot* slot = nullptr;
  };

  void Run();
  void ReadEvents();
  void HandleEvent(const ::inotify_event& event);
  void ResolveMove(const PendingMove& from, const std::string& to_path, bool to_in_scope);
  void ExpireMoves(std::chrono::steady_clock::time_point now);
  void Flush();
  void Emit(WatchEvent event);

  // Helpers below expect mutex_ to be held.
  // Watches `start` and, when `recursive`, the folders below it. Returns
  // false when `start` itself cannot be watched for a reason other than the
  // watch limit, so that the caller does not scan a folder that is gone.
  bool WatchTreeLocked(const std::string& start, bool recursive, bool is_root);
  // Returns the watch descriptor, or -errno.
  int AddWatchLocked(const std::string& path, bool is_root);
  // Drops the watches at and below `directory`; `keep_covered` keeps those
  // that a remaining root still covers.
  void ForgetTreeLocked(const std::string& directory, bool remove_watches, bool keep_covered);
  void RenameTreeLocked(const std::string& old_directory, const std::string& new_directory);
  bool IsCoveredLocked(const std::string& directory) const;
  // True when folders directly inside `parent` are watched (their root is
  // recursive) and `name` passes the filter.
  bool SubdirectoryInScopeLocked(const std::string& parent, std::string_view name) const;

  const FileFilter& filter_;
  EventHandler handler_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;
  std::thread thread_;

  mutable std::mutex mutex_;
  std::unordered_map<int, std::string> path_by_wd_;
  std::map<std::string, int> wd_by_path_;
  std::map<std::string, Root> roots_;
  std::atomic<bool> watch_limit_reached_ = false;

  // Used by the watcher thread only.
  std::deque<Slot> output_;
  std::vector<PendingMove> pending_moves_;
};

}  // namespace msearch::monitor
