#pragma once

#include <cstdint>
#include <span>

#include "monitor/scan_stats.h"
#include "store/catalog.h"

namespace msearch::monitor {

// Receives the work the file monitor finds, so the monitor can be used and
// tested without the task queue. Every call comes from the thread that runs
// the scan or FileMonitor::Run, after the catalog transaction it reports has
// been committed. Implementations must not throw.
class WorkSink {
 public:
  virtual ~WorkSink() = default;

  // Files that need processing: FileChange::kAdded or kModified entries only.
  // Renamed and unchanged files keep their results and are not reported.
  virtual void FilesChanged(std::span<const store::UpsertOutcome> outcomes) = 0;

  // Number of catalog entries removed because their files were deleted, moved
  // out of the watched folders or became ignored.
  virtual void FilesRemoved(int64_t /*count*/) {}

  // Running totals of a scan of directory `directory_id`, after every batch
  // committed to the catalog, for a progress display.
  virtual void ScanProgress(int64_t /*directory_id*/, const ScanStats& /*stats*/) {}

  // Final totals of a scan, complete or not.
  virtual void ScanFinished(int64_t /*directory_id*/, const ScanStats& /*stats*/) {}
};

}  // namespace msearch::monitor
