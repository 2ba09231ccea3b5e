#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace msearch::monitor {

// A folder or file the scanner could not read. Catalog entries at or below
// `path` are kept, because the scanner cannot tell whether they still exist.
struct ScanError {
  std::string path;
  std::string message;
};

// The outcome of one scan. Counters are numbers of files except `skipped`,
// which counts every directory entry not indexed: unsupported or ignored
// names, symbolic links not followed, special files, folders not entered.
struct ScanStats {
  int64_t seen = 0;  // media files found on disk
  int64_t added = 0;
  int64_t modified = 0;
  int64_t renamed = 0;
  int64_t removed = 0;  // catalog entries whose files are gone
  int64_t unchanged = 0;
  int64_t skipped = 0;
  std::vector<ScanError> errors;
  // True when the walk reached every readable folder: it was not stopped and
  // the watched folder itself could be opened. Only a complete scan removes
  // catalog entries of files it did not see.
  bool complete = false;
  double seconds = 0;  // wall-clock duration
};

}  // namespace msearch::monitor
