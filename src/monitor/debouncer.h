#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace msearch::monitor {

// Holds back changed files until they settle, so a file that is still being
// written is processed once, after the writer is done. A path is ready when
// no event arrived for it for the quiet period AND its size and mtime equal
// those of the stat taken at its last event (or last check). Otherwise it
// waits another quiet period. Deletions and renames are not debounced: the
// caller applies them at once and calls Cancel or Rename. So a file created and
// deleted within the quiet period is never reported.
//
// Time is passed in by the caller, so tests need no sleeps. Not thread-safe.
class Debouncer {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Debouncer(std::chrono::milliseconds quiet_period);

  // Records a create, write or attribute event for `path` at `now` and takes
  // a stat (following symbolic links) to compare with later.
  void Touch(const std::string& path, Clock::time_point now);

  // Forgets `path` because it was deleted. Returns true when it was pending.
  bool Cancel(const std::string& path);
  // Forgets every pending path at or below `directory`. Returns how many.
  size_t CancelTree(const std::string& directory);

  // Moves a pending entry to its new path, keeping its timing. Returns false
  // when `old_path` was not pending.
  bool Rename(const std::string& old_path, const std::string& new_path);
  // Moves every pending path below `old_directory` to `new_directory`.
  size_t RenameTree(const std::string& old_directory, const std::string& new_directory);

  // Removes and returns the paths that settled by `now`, in path order. Paths
  // that no longer exist are dropped without being returned, because their
  // deletion event takes care of them.
  std::vector<std::string> TakeReady(Clock::time_point now);

  // The earliest time at which TakeReady may return something, or nullopt
  // when nothing is pending.
  std::optional<Clock::time_point> NextDeadline() const;

  bool IsPending(const std::string& path) const { return pending_.contains(path); }
  size_t size() const { return pending_.size(); }

 private:
  struct FileState {
    bool exists = false;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileState&) const = default;
  };
  struct Entry {
    Clock::time_point due;  // last event or check plus the quiet period
    FileState state;        // stat at the last event or check
  };

  static FileState Stat(const std::string& path);

  std::chrono::milliseconds quiet_period_;
  std::unordered_map<std::string, Entry> pending_;
};

}  // namespace msearch::monitor
