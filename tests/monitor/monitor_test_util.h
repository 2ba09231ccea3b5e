#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "config/config.h"
#include "config/config_loader.h"
#include "monitor/work_sink.h"
#include "store/catalog.h"

namespace msearch::monitor::test_util {

// Records what a scan or a running FileMonitor reports. Thread-safe, since
// FileMonitor::Run calls it from its own thread.
class RecordingSink : public WorkSink {
 public:
  void FilesChanged(std::span<const store::UpsertOutcome> outcomes) override {
    std::lock_guard lock(mutex_);
    ++changed_calls_;
    for (const store::UpsertOutcome& outcome : outcomes) changed_.push_back(outcome);
  }
  void FilesRemoved(int64_t count) override {
    std::lock_guard lock(mutex_);
    removed_ += count;
  }
  void ScanProgress(int64_t /*directory_id*/, const ScanStats& /*stats*/) override {
    std::lock_guard lock(mutex_);
    ++progress_calls_;
  }
  void ScanFinished(int64_t /*directory_id*/, const ScanStats& /*stats*/) override {
    std::lock_guard lock(mutex_);
    ++scans_finished_;
  }

  std::vector<store::UpsertOutcome> changed() const {
    std::lock_guard lock(mutex_);
    return changed_;
  }
  // Number of outcomes reported for one catalog entry.
  int ChangesFor(int64_t file_id) const {
    std::lock_guard lock(mutex_);
    int count = 0;
    for (const store::UpsertOutcome& outcome : changed_) count += outcome.file_id == file_id;
    return count;
  }
  int64_t removed() const {
    std::lock_guard lock(mutex_);
    return removed_;
  }
  int changed_calls() const {
    std::lock_guard lock(mutex_);
    return changed_calls_;
  }
  int progress_calls() const {
    std::lock_guard lock(mutex_);
    return progress_calls_;
  }
  int scans_finished() const {
    std::lock_guard lock(mutex_);
    return scans_finished_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<store::UpsertOutcome> changed_;
  int64_t removed_ = 0;
  int changed_calls_ = 0;
  int progress_calls_ = 0;
  int scans_finished_ = 0;
};

// Polls `condition` every 20 ms until it is true or `timeout` passes. Returns
// its last value.
inline bool WaitUntil(const std::function<bool()>& condition,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

inline void WriteFile(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

inline void AppendFile(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

// Copies the tree at `from` to `to` with writable folders and files, since
// the corpus is read-only and a plain copy keeps its modes.
inline void CopyWritableTree(const std::filesystem::path& from, const std::filesystem::path& to) {
  namespace fs = std::filesystem;
  fs::create_directories(to);
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(from)) {
    fs::path target = to / entry.path().lexically_relative(from);
    if (entry.is_directory()) {
      fs::create_directories(target);
    } else {
      fs::copy_file(entry.path(), target);
      fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write,
                      fs::perm_options::add);
    }
  }
}

// The built-in monitor settings (extensions, ignore patterns), with a
// shorter debounce so tests finish sooner.
inline config::FileMonitorConfig TestConfig(int debounce_ms = 200) {
  config::FileMonitorConfig config =
      config::DefaultConfig(std::filesystem::temp_directory_path()).processes.file_monitor;
  config.watched_dirs.clear();
  config.debounce_ms = debounce_ms;
  config.scan_interval = 3600;
  return config;
}

// Paths of a directory's catalog entries, mapped to their uuids.
inline std::map<std::string, std::string> EntriesOf(store::Catalog& catalog, int64_t directory_id) {
  std::map<std::string, std::string> entries;
  for (const store::FileRecord& file : catalog.FilesInDirectory(directory_id)) {
    entries[file.path] = file.uuid;
  }
  return entries;
}

}  // namespace msearch::monitor::test_util
