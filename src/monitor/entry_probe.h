#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "monitor/file_filter.h"
#include "store/catalog.h"

namespace msearch::monitor {

// A watched directory as the scanner and the watcher see it.
struct WatchRoot {
  int64_t directory_id = 0;
  // The catalog path without a trailing slash. File paths are built under it
  // as found, without resolving symbolic links.
  std::string path;
  // `path` with symbolic links resolved, to tell whether a link points inside
  // the tree. Empty while the folder does not exist.
  std::string canonical_path;
  bool recursive = true;
};

// Builds the WatchRoot of a catalog directory. A missing folder gets an empty
// canonical_path.
WatchRoot MakeWatchRoot(const store::DirectoryRecord& directory);

// Returns `path` absolute and lexically normal, without a trailing slash, as
// watched folders are stored in the catalog.
std::filesystem::path NormalizeDirectoryPath(const std::filesystem::path& path);

// Returns true when `path` equals `directory` or lies below it. Both are
// plain strings without trailing slashes; no file system access.
bool IsPathWithin(std::string_view path, std::string_view directory);

enum class ProbeResult {
  kIndexed,  // a media file: `observation` is filled in
  kSkipped,  // not indexed by design, for the `reason` given
  kGone,     // the entry no longer exists
  kFailed,   // it could not be examined: `reason` contains the error message
};

struct EntryProbe {
  ProbeResult result = ProbeResult::kSkipped;
  store::FileObservation observation;
  std::string reason;
  int error_number = 0;  // errno behind kGone and kFailed
};

// Examines one directory entry the way a scan treats it, with lstat/stat only
// (never reading contents). Regular files with a supported, not ignored name
// are indexed. Symbolic links:
//  - to a directory: skipped, never followed, so link loops cannot occur;
//  - to a file the scan reaches under its own path inside the same tree:
//    skipped, so the file is indexed once;
//  - to any other file: indexed under the link's path with the target's size,
//    mtime and inode, because the link is how the user placed it in the tree;
//  - broken or looping: skipped.
// `directory_fd` may be AT_FDCWD with `entry` an absolute path; otherwise
// `entry` is the name inside the open directory. `path` is the full path.
EntryProbe ProbeEntry(const WatchRoot& root, const FileFilter& filter, int directory_fd,
                      const char* entry, std::string_view file_name, const std::string& path);

// Returns `directory` + "/" + `name`, without doubling a slash.
std::string JoinPath(std::string_view directory, std::string_view name);

// ProbeEntry for an absolute path below `root`.
EntryProbe ProbeFile(const WatchRoot& root, const FileFilter& filter, const std::string& path);

// Returns true when a scan of `root` would reach `path`, judged by the name
// alone. That is the case when it is below the root (directly, for a non-
// recursive root), no folder on the way matches an ignore pattern, and the
// file name is a supported one.
bool IsInScope(const WatchRoot& root, const FileFilter& filter, std::string_view path);

}  // namespace msearch::monitor
