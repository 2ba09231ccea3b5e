#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "store/catalog.h"

namespace msearch::server {

// True when `path` is a strict descendant of `folder`, comparing whole
// path components of the two paths as given.
bool IsInsideFolder(const std::filesystem::path& path, const std::filesystem::path& folder);

// The directories of the catalog that are watched: all but the detached
// ones, paused directories included.
std::vector<store::DirectoryRecord> WatchedDirectories(store::Catalog& catalog);

// The watched directory that contains `path`, or nullopt. A recursive
// directory contains everything below it, a non-recursive one only its direct
// children. Both the path as given (after removing "." and "..") and, when it
// exists, its real path with symbolic links resolved must lie inside the
// directory, so a link cannot lead out of it.
std::optional<store::DirectoryRecord> FindWatchedDirectory(
    const std::vector<store::DirectoryRecord>& directories, const std::filesystem::path& path);

}  // namespace msearch::server
