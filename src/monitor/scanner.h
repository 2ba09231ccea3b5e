#pragma once

#include <cstddef>
#include <stop_token>

#include "monitor/file_filter.h"
#include "monitor/scan_stats.h"
#include "monitor/work_sink.h"
#include "store/catalog.h"

namespace msearch::monitor {

// Brings the catalog entries of one watched directory in line with the files
// on disk. Uses the catalog from the calling thread only.
class Scanner {
 public:
  static constexpr size_t kDefaultBatchSize = 500;

  Scanner(store::Catalog& catalog, const FileFilter& filter, WorkSink& sink,
          size_t batch_size = kDefaultBatchSize);

  // Walks the directory's tree (see WalkTree) and records every media file.
  // Files whose size, mtime and inode match their entry count as unchanged
  // without a database write. The rest are upserted in batches of
  // `batch_size`, one transaction each, and reported to the sink after each
  // commit. New paths are upserted before anything is removed, so
  // Catalog::UpsertFiles recognises renames by inode.
  //
  // When the walk is complete, entries whose files were not seen are
  // removed. Two kinds are kept: those at or below a path listed in the
  // errors, and those whose file exists again and would be indexed (created
  // while the scan ran). Marks the directory scanned when complete. Throws
  // store::SqliteError when the catalog fails, while file system problems
  // only end up in ScanStats::errors.
  ScanStats Scan(const store::DirectoryRecord& directory, std::stop_token stop = {});

 private:
  store::Catalog& catalog_;
  const FileFilter& filter_;
  WorkSink& sink_;
  size_t batch_size_;
};

}  // namespace msearch::monitor
