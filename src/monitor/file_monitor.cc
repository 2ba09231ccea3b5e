#include "monitor/file_monitor.h"

#include <algorithm>
#include <cerrno>
#include <utility>

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <unistd.h>

#include "common/logging.h"
#include "monitor/scanner.h"

namespace msearch::monitor {
namespace {

// Returns an error message when `path` cannot be opened as a folder.
std::optional<std::string> CheckFolder(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    if (error == ENOENT) return fmt::format("folder not found: {}", path);
    if (error == ENOTDIR) return fmt::format("not a folder: {}", path);
    return fmt::format("cannot open folder {}: {}", path, strerror(error));
  }
  close(fd);
  return std::nullopt;
}

// Summarises the unreadable entries of a scan for the directory's error
// column, or nullopt when there are none.
std::optional<std::string> SummarizeErrors(const std::vector<ScanError>& errors) {
  if (errors.empty()) return std::nullopt;
  std::string summary =
      fmt::format("{} entr{} could not be read and keep{} catalog entries: ", errors.size(),
                  errors.size() == 1 ? "y" : "ies", errors.size() == 1 ? "s its" : " their");
  size_t listed = std::min<size_t>(errors.size(), 3);
  for (size_t i = 0; i < listed; ++i) {
    if (i > 0) summary += "; ";
    summary += errors[i].path + ": " + errors[i].message;
  }
  if (errors.size() > listed) summary += "; ...";
  return summary;
}

LogRateLimiter& LoopLogLimiter() {
  static LogRateLimiter limiter(10, std::chrono::seconds(60));
  return limiter;
}

}  // namespace

FileMonitor::FileMonitor(const std::filesystem::path& catalog_path,
                         config::FileMonitorConfig config, WorkSink& sink)
    : config_(std::move(config)),
      filter_(config_),
      sink_(sink),
      catalog_(std::make_unique<store::Catalog>(catalog_path)),
      debouncer_(std::chrono::milliseconds(config_.debounce_ms)),
      watcher_(filter_,
               [this](std::vector<WatchEvent> events) { OnWatchEvents(std::move(events)); }) {}

FileMonitor::~FileMonitor() { watcher_.Stop(); }

void FileMonitor::RequestRescan(std::optional<int64_t> directory_id) {
  {
    std::lock_guard lock(mutex_);
    if (directory_id) {
      requests_.rescan_ids.insert(*directory_id);
    } else {
      requests_.rescan_all = true;
    }
  }
  wake_.notify_all();
}

void FileMonitor::ReloadDirectories() {
  {
    std::lock_guard lock(mutex_);
    requests_.reload = true;
  }
  wake_.notify_all();
}

void FileMonitor::OnWatchEvents(std::vector<WatchEvent> events) {
  {
    std::lock_guard lock(mutex_);
    for (WatchEvent& event : events) events_.push_back(std::move(event));
  }
  wake_.notify_all();
}

void FileMonitor::Run(std::stop_token stop) {
  stop_ = stop;
  const auto scan_interval = std::chrono::seconds(std::max(1, config_.scan_interval));
  spdlog::info(
      "file monitor: starting with {} configured folders, rescan every {} s, debounce {} ms",
      config_.watched_dirs.size(), scan_interval.count(), config_.debounce_ms);
  watcher_.Start();
  try {
    RegisterConfiguredDirectories();
    SyncDirectories();
  } catch (const std::exception& error) {
    spdlog::error("file monitor: starting the watched folders failed: {}; retrying", error.what());
    std::lock_guard lock(mutex_);
    requests_.reload = true;
  }
  Clock::time_point next_rescan = Clock::now() + scan_interval;

  while (!stop.stop_requested()) {
    std::vector<WatchEvent> events;
    Requests requests;
    {
      std::unique_lock lock(mutex_);
      Clock::time_point deadline = next_rescan;
      if (std::optional<Clock::time_point> due = NextDeadline()) {
        deadline = std::min(deadline, *due);
      }
      wake_.wait_until(lock, stop, deadline, [&] {
        return !events_.empty() || requests_.reload || requests_.rescan_all ||
               !requests_.rescan_ids.empty();
      });
      events.swap(events_);
      requests = std::exchange(requests_, Requests{});
    }
    if (stop.stop_requested()) break;

    try {
      ApplyEvents(events, Clock::now());
      bool periodic = Clock::now() >= next_rescan;
      HandleRequests(requests, periodic);
      if (periodic || requests.rescan_all) next_rescan = Clock::now() + scan_interval;
      // One time for both, so a removal never runs before the upsert of a
      // file that was touched when the removal was deferred.
      Clock::time_point now = Clock::now();
      ApplySettled(now);
      ApplyDeferredRemovals(now);
    } catch (const std::exception& error) {
      size_t suppressed = 0;
      if (LoopLogLimiter().Allow("loop", &suppressed)) {
        spdlog::error(
            "file monitor: applying changes failed: {}; the next rescan makes up for lost "
            "changes ({} similar errors suppressed)",
            error.what(), suppressed);
      }
    }
  }

  watcher_.Stop();
  spdlog::info("file monitor: stopped");
}

void FileMonitor::HandleRequests(const Requests& requests, bool periodic_rescan_due) {
  const bool rescan_all = periodic_rescan_due || requests.rescan_all || rescan_all_pending_;
  bool unknown_id = std::any_of(requests.rescan_ids.begin(), requests.rescan_ids.end(),
                                [&](int64_t id) { return FindById(id) == nullptr; });
  // A full rescan also picks up directories added without a reload request.
  std::set<int64_t> started;
  if (requests.reload || unknown_id || rescan_all) started = SyncDirectories();

  if (rescan_all) {
    rescan_all_pending_ = false;
    RescanAll(started);
    return;
  }
  for (int64_t id : requests.rescan_ids) {
    if (started.contains(id)) continue;
    if (WatchedDirectory* directory = FindById(id)) {
      RescanDirectory(*directory);
    } else {
      spdlog::warn(
          "file monitor: rescan requested for directory {}, which is not in the "
          "catalog or is paused",
          id);
    }
  }
}

void FileMonitor::RegisterConfiguredDirectories() {
  for (const std::filesystem::path& configured : config_.watched_dirs) {
    std::filesystem::path path = NormalizeDirectoryPath(configured);
    store::DirectoryRecord record = catalog_->AddDirectory(path, config_.recursive, true);
    spdlog::info("file monitor: configured folder '{}' is directory {}", path.string(), record.id);
  }
}

std::set<int64_t> FileMonitor::SyncDirectories() {
  std::vector<store::DirectoryRecord> records = catalog_->ListDirectories();
  std::set<int64_t> started;

  // Stop directories that were removed, paused or changed.
  for (auto it = directories_.begin(); it != directories_.end();) {
    auto record = std::find_if(records.begin(), records.end(),
                               [&](const auto& r) { return r.id == it->record.id; });
    bool keep = record != records.end() && record->state != "paused" &&
                record->recursive == it->record.recursive && record->path == it->record.path;
    if (keep) {
      ++it;
      continue;
    }
    spdlog::info("file monitor: stop watching directory {} '{}' ({})", it->record.id, it->root.path,
                 record == records.end()     ? "removed"
                 : record->state == "paused" ? "paused"
                                             : "changed");
    StopDirectory(*it);
    it = directories_.erase(it);
  }

  // Start the new and resumed ones.
  for (const store::DirectoryRecord& record : records) {
    if (record.state == "paused" || FindById(record.id) != nullptr) continue;
    directories_.push_back(WatchedDirectory{record, MakeWatchRoot(record), false});
    // Longest paths first, so FindActive picks the innermost of nested roots.
    std::sort(directories_.begin(), directories_.end(),
              [](const auto& a, const auto& b) { return a.root.path.size() > b.root.path.size(); });
    StartDirectory(*FindById(record.id));
    started.insert(record.id);
    if (stop_.stop_requested()) break;
  }
  return started;
}

void FileMonitor::StartDirectory(WatchedDirectory& directory) {
  directory.root = MakeWatchRoot(directory.record);
  if (std::optional<std::string> problem = CheckFolder(directory.root.path)) {
    if (directory.record.state != "error" || directory.record.error != problem) {
      spdlog::warn("file monitor: directory {}: {}; retrying at every rescan", directory.record.id,
                   *problem);
    }
    SetState(directory, "error", *problem);
    return;
  }
  spdlog::info("file monitor: watching directory {} '{}'{}", directory.record.id,
               directory.root.path, directory.root.recursive ? " and its subfolders" : "");
  SetState(directory, "initializing", std::nullopt);
  if (!watcher_.AddRoot(directory.root.path, directory.root.recursive)) {
    SetState(directory, "error", fmt::format("cannot watch folder {}", directory.root.path));
    return;
  }
  directory.active = true;
  ScanDirectory(directory);
}

void FileMonitor::StopDirectory(WatchedDirectory& directory) {
  watcher_.RemoveRoot(directory.root.path);
  debouncer_.CancelTree(directory.root.path);
  directory.active = false;
}

void FileMonitor::ScanDirectory(WatchedDirectory& directory) {
  Scanner scanner(*catalog_, filter_, sink_);
  ScanStats stats = scanner.Scan(directory.record, stop_);
  if (stop_.stop_requested()) return;
  if (!stats.complete) {
    // Only the watched folder itself makes a scan incomplete.
    std::string problem = stats.errors.empty()
                              ? fmt::format("cannot read folder {}", directory.root.path)
                              : fmt::format("cannot read folder {}: {}", stats.errors[0].path,
                                            stats.errors[0].message);
    spdlog::warn("file monitor: directory {}: {}; retrying at every rescan", directory.record.id,
                 problem);
    StopDirectory(directory);
    SetState(directory, "error", problem);
    return;
  }
  SetState(directory, "monitoring", SummarizeErrors(stats.errors));
}

void FileMonitor::RescanDirectory(WatchedDirectory& directory) {
  if (!directory.active) {
    StartDirectory(directory);
    return;
  }
  // Re-adding the root fills watch gaps left by the watch limit or an
  // overflow; existing watches are kept.
  watcher_.AddRoot(directory.root.path, directory.root.recursive);
  ScanDirectory(directory);
}

void FileMonitor::RescanAll(const std::set<int64_t>& just_started) {
  spdlog::info("file monitor: rescanning {} directories", directories_.size());
  for (WatchedDirectory& directory : directories_) {
    if (stop_.stop_requested()) return;
    if (just_started.contains(directory.record.id)) continue;
    RescanDirectory(directory);
  }
}

void FileMonitor::SetState(WatchedDirectory& directory, std::string_view state,
                           const std::optional<std::string>& error) {
  // NOTE: the check and the update are separate statements, so a pause that
  // lands between them is overwritten.
  std::optional<store::DirectoryRecord> current = catalog_->FindDirectory(directory.record.id);
  if (!current || current->state == "paused") return;
  if (current->state != state || current->error != error) {
    catalog_->SetDirectoryState(directory.record.id, state, error);
  }
  directory.record.state = std::string(state);
  directory.record.error = error;
}

FileMonitor::WatchedDirectory* FileMonitor::FindActive(std::string_view path) {
  for (WatchedDirectory& directory : directories_) {
    if (directory.active && IsPathWithin(path, directory.root.path)) return &directory;
  }
  return nullptr;
}

FileMonitor::WatchedDirectory* FileMonitor::FindById(int64_t id) {
  for (WatchedDirectory& directory : directories_) {
    if (directory.record.id == id) return &directory;
  }
  return nullptr;
}

ScanStats ScanOnce(store::Catalog& catalog, const store::DirectoryRecord& directory,
                   const config::FileMonitorConfig& config, WorkSink& sink, std::stop_token stop) {
  FileFilter filter(config);
  Scanner scanner(catalog, filter, sink);
  return scanner.Scan(directory, stop);
}

}  // namespace msearch::monitor
