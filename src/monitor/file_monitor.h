#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "config/config.h"
#include "monitor/debouncer.h"
#include "monitor/entry_probe.h"
#include "monitor/file_filter.h"
#include "monitor/inotify_watcher.h"
#include "monitor/scan_stats.h"
#include "monitor/work_sink.h"
#include "store/catalog.h"

namespace msearch::monitor {

// Keeps the catalog in line with the watched folders while it runs: the
// folders in the configuration and those added to the catalog's directories
// table at run time. For each directory that is not paused it watches the
// tree with inotify, scans it once at start and then every scan_interval
// seconds, and turns events into catalog updates: changed files after they
// settle (debounce_ms), deletions and moves at once. Moves keep the entry and
// its uuid. Every catalog commit that creates work is reported to the sink.
//
// Directory states it sets:
//  - initializing while the first scan runs;
//  - monitoring afterwards, with the unreadable subfolders (if any) listed in
//    the error column;
//  - error with a message when the folder is missing, unreadable or
//    disappears. Such a folder is retried at every rescan and recovers when
//    it is back.
// A paused directory is neither watched nor scanned until it is resumed and
// ReloadDirectories is called. Its entries stay in the catalog.
class FileMonitor {
 public:
  // Opens its own Catalog at `catalog_path` and an inotify instance. Throws
  // store::SqliteError when the catalog cannot be opened and msearch::Error
  // when inotify is unavailable.
  FileMonitor(const std::filesystem::path& catalog_path, config::FileMonitorConfig config,
              WorkSink& sink);
  ~FileMonitor();

  FileMonitor(const FileMonitor&) = delete;
  FileMonitor& operator=(const FileMonitor&) = delete;

  // Registers the configured folders (Catalog::AddDirectory with
  // from_config), starts watching and scanning, and applies changes until
  // `stop` is requested. Call from one thread, once. Catalog and file system
  // failures are logged and never end the loop; a lost event is made up for
  // by the next periodic rescan.
  void Run(std::stop_token stop);

  // Asks Run to rescan one directory, or all when `directory_id` is empty.
  // Thread-safe; returns at once.
  void RequestRescan(std::optional<int64_t> directory_id = std::nullopt);

  // Asks Run to reread the directories table: new directories are watched
  // and scanned, removed or paused ones are no longer watched, resumed ones
  // start again. Every full rescan rereads the table as well. Thread-safe;
  // returns at once.
  void ReloadDirectories();

 private:
  using Clock = std::chrono::steady_clock;

  // A directory of the catalog that is not paused.
  struct WatchedDirectory {
    store::DirectoryRecord record;
    WatchRoot root;
    bool active = false;  // watched and scanned; false while in state error
  };

  // Entries of a file or folder that moved out of the watched trees or into
  // another watched directory. Their removal waits one debounce period,
  // because the files may turn up again: in another root, or in a folder
  // whose watch did not exist yet at the move, whose scan then finds them.
  // Upserting them before the removal keeps their uuids (rename by inode).
  struct DeferredRemoval {
    std::string path;
    bool is_directory = false;
    Clock::time_point due;
  };

  // Requests from other threads, taken by Run under mutex_.
  struct Requests {
    bool reload = false;
    bool rescan_all = false;
    std::set<int64_t> rescan_ids;
  };

  // Directory lifecycle (file_monitor.cc).
  void RegisterConfiguredDirectories();
  // Returns the ids of the directories it started (and scanned).
  std::set<int64_t> SyncDirectories();
  void StartDirectory(WatchedDirectory& directory);
  void StopDirectory(WatchedDirectory& directory);
  void ScanDirectory(WatchedDirectory& directory);
  void RescanDirectory(WatchedDirectory& directory);
  void RescanAll(const std::set<int64_t>& just_started);
  void HandleRequests(const Requests& requests, bool periodic_rescan_due);
  // Sets a directory's state unless it was paused or removed meanwhile.
  void SetState(WatchedDirectory& directory, std::string_view state,
                const std::optional<std::string>& error);
  WatchedDirectory* FindActive(std::string_view path);
  WatchedDirectory* FindById(int64_t id);

  // Changes (file_monitor_events.cc).
  void OnWatchEvents(std::vector<WatchEvent> events);
  void ApplyEvents(const std::vector<WatchEvent>& events, Clock::time_point now);
  void ApplyMove(const WatchEvent& event, Clock::time_point now);
  void RemoveFromCatalog(const std::string& path, bool is_directory);
  void ScanNewDirectory(const std::string& path, Clock::time_point now);
  void HandleRootGone(const std::string& path);
  void ApplySettled(Clock::time_point now);
  void DeferRemoval(const std::string& path, bool is_directory, Clock::time_point now);
  void ApplyDeferredRemovals(Clock::time_point now);
  std::optional<Clock::time_point> NextDeadline() const;

  config::FileMonitorConfig config_;
  FileFilter filter_;
  WorkSink& sink_;
  std::unique_ptr<store::Catalog> catalog_;
  Debouncer debouncer_;
  std::vector<WatchedDirectory> directories_;
  std::vector<DeferredRemoval> deferred_removals_;
  std::stop_token stop_;
  bool rescan_all_pending_ = false;  // set by an inotify queue overflow

  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::vector<WatchEvent> events_;
  Requests requests_;

  // Last member: its thread calls OnWatchEvents, so it must stop first.
  InotifyWatcher watcher_;
};

// Scans one directory once, without watching: what `msearch index DIR
// --once` runs. Same rules as the monitor's scans (see Scanner::Scan); does
// not change the directory's state. Throws store::SqliteError when the
// catalog fails.
ScanStats ScanOnce(store::Catalog& catalog, const store::DirectoryRecord& directory,
                   const config::FileMonitorConfig& config, WorkSink& sink,
                   std::stop_token stop = {});

}  // namespace msearch::monitor
