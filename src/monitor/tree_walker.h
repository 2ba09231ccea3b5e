#pragma once

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "monitor/entry_probe.h"
#include "monitor/file_filter.h"
#include "monitor/scan_stats.h"
#include "store/catalog.h"

namespace msearch::monitor {

struct WalkResult {
  // True when `start` was opened and the walk was not stopped. Folders below
  // it that could not be read are listed in `errors` and do not clear it.
  bool complete = false;
  int64_t skipped = 0;  // entries not indexed, as ScanStats::skipped
  std::vector<ScanError> errors;
};

// Walks the tree of `root` from `start` (root.path or a folder below it) and
// calls `on_file` for every file ProbeEntry indexes, reading directories with
// readdir and entries with fstatat only. Folders whose names match an ignore
// pattern and symbolic links to folders are not entered, and each folder is
// entered once by (device, inode), so bind-mount loops end too. A non-
// recursive root yields only its direct entries. An unreadable folder or file
// is logged and listed in the result, and the walk goes on with the rest.
// Checks `stop` between folders.
WalkResult WalkTree(const WatchRoot& root, const FileFilter& filter, const std::string& start,
                    const std::function<void(store::FileObservation&&)>& on_file,
                    std::stop_token stop = {});

}  // namespace msearch::monitor
