// FileMonitor: turning watch events and settled files into catalog updates.

#include <algorithm>
#include <span>

#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "monitor/file_monitor.h"
#include "monitor/tree_walker.h"

namespace msearch::monitor {
namespace {

namespace fs = std::filesystem;

constexpr size_t kUpsertBatchSize = 500;

LogRateLimiter& EventLogLimiter() {
  static LogRateLimiter limiter(20, std::chrono::seconds(60));
  return limiter;
}

}  // namespace

void FileMonitor::ApplyEvents(const std::vector<WatchEvent>& events, Clock::time_point now) {
  for (const WatchEvent& event : events) {
    switch (event.type) {
      case WatchEvent::Type::kChanged: {
        WatchedDirectory* directory = FindActive(event.path);
        if (directory != nullptr && IsInScope(directory->root, filter_, event.path)) {
          debouncer_.Touch(event.path, now);
        }
        break;
      }
      case WatchEvent::Type::kRemoved:
        RemoveFromCatalog(event.path, event.is_directory);
        break;
      case WatchEvent::Type::kMovedOut:
        DeferRemoval(event.path, event.is_directory, now);
        break;
      case WatchEvent::Type::kMoved:
        ApplyMove(event, now);
        break;
      case WatchEvent::Type::kDirectoryAdded:
        ScanNewDirectory(event.path, now);
        break;
      case WatchEvent::Type::kRootGone:
        HandleRootGone(event.path);
        break;
      case WatchEvent::Type::kOverflow:
        rescan_all_pending_ = true;
        break;
    }
  }
}

void FileMonitor::RemoveFromCatalog(const std::string& path, bool is_directory) {
  if (is_directory) {
    debouncer_.CancelTree(path);
  } else {
    debouncer_.Cancel(path);
  }
  int64_t removed = catalog_->RemovePath(path);
  if (removed > 0) {
    spdlog::info("file monitor: removed {} catalog entr{} for '{}'", removed,
                 removed == 1 ? "y" : "ies", path);
    sink_.FilesRemoved(removed);
  }
}

void FileMonitor::ApplyMove(const WatchEvent& event, Clock::time_point now) {
  if (event.old_path == event.path) return;
  WatchedDirectory* from = FindActive(event.old_path);
  WatchedDirectory* to = FindActive(event.path);
  const bool to_in_scope =
      to != nullptr && (event.is_directory || IsInScope(to->root, filter_, event.path));

  if (!to_in_scope) {
    // Renamed to an ignored name (".hidden", "x.tmp") or moved to a place
    // that is not indexed: as good as deleted.
    RemoveFromCatalog(event.old_path, event.is_directory);
    return;
  }
  if (from != to) {
    // Between two watched directories Catalog::MovePath would keep the old
    // directory id. Recording the new path first and removing the old one
    // later lets UpsertFiles detect the rename by inode instead, which keeps
    // the uuid and sets the new directory id.
    if (from != nullptr) DeferRemoval(event.old_path, event.is_directory, now);
    if (event.is_directory) {
      ScanNewDirectory(event.path, now);
    } else {
      debouncer_.Touch(event.path, now);
    }
    return;
  }

  if (event.is_directory) {
    debouncer_.RenameTree(event.old_path, event.path);
    try {
      int64_t moved = catalog_->MovePath(event.old_path, event.path);
      spdlog::info("file monitor: folder '{}' moved to '{}': {} catalog entries updated",
                   event.old_path, event.path, moved);
    } catch (const store::SqliteError& error) {
      // The old entries stay where they were, and a rescan of the directory
      // matches them to the files by inode.
      spdlog::warn(
          "file monitor: moving catalog entries from '{}' to '{}' failed: {}; "
          "rescanning directory {}",
          event.old_path, event.path, error.what(), to->record.id);
      RequestRescan(to->record.id);
    }
    return;
  }

  bool was_pending = debouncer_.Rename(event.old_path, event.path);
  std::optional<store::FileRecord> moving;
  if (IsInScope(from->root, filter_, event.old_path)) {
    moving = catalog_->FindFileByPath(event.old_path);
  }
  if (!moving) {
    // Not catalogued under the old name ("clip.mp4.part" -> "clip.mp4"), or
    // a rescan recorded the move already: check the new path once it settles.
    if (!was_pending) debouncer_.Touch(event.path, now);
    return;
  }
  if (std::optional<store::FileRecord> replaced = catalog_->FindFileByPath(event.path)) {
    // The move replaced another file ("mv a.jpg b.jpg" over an existing b.jpg).
    int64_t ids[] = {replaced->id};
    if (catalog_->RemoveFiles(ids) > 0) sink_.FilesRemoved(1);
  }
  catalog_->MovePath(event.old_path, event.path);
  spdlog::info("file monitor: '{}' renamed to '{}'", event.old_path, event.path);
}

void FileMonitor::ScanNewDirectory(const std::string& path, Clock::time_point now) {
  WatchedDirectory* directory = FindActive(path);
  if (directory == nullptr) return;
  // Files created before the folder's watch existed produced no events. They
  // go through the debouncer, since a folder being copied in may still be
  // growing.
  size_t found = 0;
  WalkResult walk = WalkTree(
      directory->root, filter_, path,
      [&](store::FileObservation&& observation) {
        debouncer_.Touch(observation.path, now);
        ++found;
      },
      stop_);
  spdlog::debug("file monitor: new folder '{}' contains {} media files ({} entries skipped)", path,
                found, walk.skipped);
}

void FileMonitor::HandleRootGone(const std::string& path) {
  for (WatchedDirectory& directory : directories_) {
    if (!directory.active || directory.root.path != path) continue;
    std::string problem =
        fmt::format("folder was deleted, moved or unmounted: {}; retrying at every rescan", path);
    spdlog::warn("file monitor: directory {}: {}", directory.record.id, problem);
    StopDirectory(directory);
    SetState(directory, "error", problem);
  }
}

void FileMonitor::ApplySettled(Clock::time_point now) {
  std::vector<std::string> ready = debouncer_.TakeReady(now);
  if (ready.empty()) return;

  std::vector<store::FileObservation> observations;
  for (const std::string& path : ready) {
    WatchedDirectory* directory = FindActive(path);
    if (directory == nullptr) continue;
    EntryProbe probe = ProbeFile(directory->root, filter_, path);
    switch (probe.result) {
      case ProbeResult::kIndexed:
        observations.push_back(std::move(probe.observation));
        break;
      case ProbeResult::kSkipped:
        // For example a file replaced by a link to a sibling: drop its entry.
        if (std::optional<store::FileRecord> existing = catalog_->FindFileByPath(path)) {
          int64_t ids[] = {existing->id};
          if (catalog_->RemoveFiles(ids) > 0) sink_.FilesRemoved(1);
        }
        spdlog::debug("file monitor: skipped '{}': {}", path, probe.reason);
        break;
      case ProbeResult::kGone:
        break;
      case ProbeResult::kFailed: {
        size_t suppressed = 0;
        if (EventLogLimiter().Allow("probe", &suppressed)) {
          spdlog::warn("file monitor: cannot read '{}': {} ({} similar warnings suppressed)", path,
                       probe.reason, suppressed);
        }
        break;
      }
    }
  }

  for (size_t start = 0; start < observations.size(); start += kUpsertBatchSize) {
    std::span<const store::FileObservation> batch(
        observations.data() + start, std::min(kUpsertBatchSize, observations.size() - start));
    std::vector<store::UpsertOutcome> outcomes;
    try {
      outcomes = catalog_->UpsertFiles(batch);
    } catch (...) {
      // Keep the files for the next attempt instead of losing them.
      for (size_t i = start; i < observations.size(); ++i) {
        debouncer_.Touch(observations[i].path, now);
      }
      throw;
    }
    std::vector<store::UpsertOutcome> changed;
    for (size_t i = 0; i < outcomes.size(); ++i) {
      store::UpsertOutcome& outcome = outcomes[i];
      if (outcome.change == store::FileChange::kUnchanged) continue;
      spdlog::info("file monitor: {} '{}'", store::FileChangeName(outcome.change), batch[i].path);
      if (outcome.change == store::FileChange::kAdded ||
          outcome.change == store::FileChange::kModified) {
        changed.push_back(std::move(outcome));
      }
    }
    if (!changed.empty()) sink_.FilesChanged(changed);
  }
}

void FileMonitor::DeferRemoval(const std::string& path, bool is_directory, Clock::time_point now) {
  if (is_directory) {
    debouncer_.CancelTree(path);
  } else {
    debouncer_.Cancel(path);
  }
  // Files touched before `now` settle no later than this, so their upserts
  // come first.
  Clock::time_point due = now + std::chrono::milliseconds(std::max(0, config_.debounce_ms));
  deferred_removals_.push_back({path, is_directory, due});
}

void FileMonitor::ApplyDeferredRemovals(Clock::time_point now) {
  std::vector<DeferredRemoval> due;
  std::erase_if(deferred_removals_, [&](DeferredRemoval& removal) {
    if (removal.due > now) return false;
    due.push_back(std::move(removal));
    return true;
  });
  for (const DeferredRemoval& removal : due) {
    // Back again under the same name (moved out and in): its events or the
    // next rescan bring the entries up to date, so nothing is removed.
    std::error_code error;
    if (fs::exists(fs::symlink_status(removal.path, error))) continue;
    RemoveFromCatalog(removal.path, removal.is_directory);
  }
}

std::optional<FileMonitor::Clock::time_point> FileMonitor::NextDeadline() const {
  std::optional<Clock::time_point> earliest = debouncer_.NextDeadline();
  for (const DeferredRemoval& removal : deferred_removals_) {
    if (!earliest || removal.due < *earliest) earliest = removal.due;
  }
  return earliest;
}

}  // namespace msearch::monitor
