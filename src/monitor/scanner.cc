#include "monitor/scanner.h"

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "monitor/entry_probe.h"
#include "monitor/tree_walker.h"

namespace msearch::monitor {
namespace {

// The catalog's size, mtime and identity of one file, to detect changes.
struct KnownFile {
  int64_t id = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  uint64_t device = 0;
};

bool Matches(const KnownFile& known, const store::FileObservation& observation) {
  return known.size == observation.size && known.mtime_ns == observation.mtime_ns &&
         known.inode == observation.inode && known.device == observation.device;
}

bool UnderAnyError(const std::string& path, const std::vector<ScanError>& errors) {
  for (const ScanError& error : errors) {
    if (IsPathWithin(path, error.path)) return true;
  }
  return false;
}

// Returns true when `path` names a file that a scan of `root` would index
// through real folders: the walk passed it before it appeared. Symbolic links
// on the way make the scan miss it, so they count as not indexable.
bool StillIndexable(const WatchRoot& root, const FileFilter& filter, const std::string& path) {
  if (!IsInScope(root, filter, path)) return false;
  if (ProbeFile(root, filter, path).result != ProbeResult::kIndexed) return false;
  if (root.canonical_path.empty()) return false;
  std::string parent = path.substr(0, path.rfind('/'));
  std::error_code error;
  std::filesystem::path real_parent = std::filesystem::canonical(parent, error);
  if (error) return false;
  std::string expected = root.canonical_path + parent.substr(root.path.size());
  return real_parent.string() == expected;
}

}  // namespace

Scanner::Scanner(store::Catalog& catalog, const FileFilter& filter, WorkSink& sink,
                 size_t batch_size)
    : catalog_(catalog),
      filter_(filter),
      sink_(sink),
      batch_size_(batch_size > 0 ? batch_size : 1) {}

ScanStats Scanner::Scan(const store::DirectoryRecord& directory, std::stop_token stop) {
  const double started = MonotonicSeconds();
  const WatchRoot root = MakeWatchRoot(directory);
  ScanStats stats;

  std::unordered_map<std::string, KnownFile> known;
  for (store::FileRecord& file : catalog_.FilesInDirectory(directory.id)) {
    known.emplace(std::move(file.path),
                  KnownFile{file.id, file.size, file.mtime_ns, file.inode, file.device});
  }

  std::unordered_set<std::string> seen;
  std::unordered_set<int64_t> renamed_ids;
  std::vector<store::FileObservation> batch;
  batch.reserve(batch_size_);

  auto flush = [&] {
    if (batch.empty()) return;
    std::vector<store::UpsertOutcome> outcomes = catalog_.UpsertFiles(batch);
    batch.clear();
    std::vector<store::UpsertOutcome> changed;
    for (store::UpsertOutcome& outcome : outcomes) {
      switch (outcome.change) {
        case store::FileChange::kAdded:
          ++stats.added;
          changed.push_back(std::move(outcome));
          break;
        case store::FileChange::kModified:
          ++stats.modified;
          changed.push_back(std::move(outcome));
          break;
        case store::FileChange::kRenamed:
          ++stats.renamed;
          renamed_ids.insert(outcome.file_id);
          break;
        case store::FileChange::kUnchanged:
          ++stats.unchanged;
          break;
      }
    }
    if (!changed.empty()) sink_.FilesChanged(changed);
    sink_.ScanProgress(directory.id, stats);
  };

  WalkResult walk = WalkTree(
      root, filter_, root.path,
      [&](store::FileObservation&& observation) {
        ++stats.seen;
        auto found = known.find(observation.path);
        if (found != known.end() && Matches(found->second, observation)) {
          ++stats.unchanged;
          seen.insert(std::move(observation.path));
          return;
        }
        seen.insert(observation.path);
        batch.push_back(std::move(observation));
        if (batch.size() >= batch_size_) flush();
      },
      stop);
  flush();

  stats.skipped = walk.skipped;
  stats.errors = std::move(walk.errors);
  stats.complete = walk.complete;

  if (stats.complete) {
    std::vector<int64_t> vanished_ids;
    for (const auto& [path, file] : known) {
      if (seen.contains(path) || renamed_ids.contains(file.id)) continue;
      if (UnderAnyError(path, stats.errors)) continue;
      if (StillIndexable(root, filter_, path)) continue;
      vanished_ids.push_back(file.id);
    }
    if (!vanished_ids.empty()) {
      stats.removed = catalog_.RemoveFiles(vanished_ids);
      sink_.FilesRemoved(stats.removed);
    }
    catalog_.MarkDirectoryScanned(directory.id);
  }

  stats.seconds = MonotonicSeconds() - started;
  spdlog::info(
      "file monitor: scanned directory {} '{}' in {:.2f} s: {} files seen, {} added, {} "
      "modified, {} renamed, {} removed, {} unchanged, {} skipped, {} errors{}",
      directory.id, root.path, stats.seconds, stats.seen, stats.added, stats.modified,
      stats.renamed, stats.removed, stats.unchanged, stats.skipped, stats.errors.size(),
      stats.complete ? "" : " (incomplete: nothing removed)");
  sink_.ScanFinished(directory.id, stats);
  return stats;
}

}  // namespace msearch::monitor
