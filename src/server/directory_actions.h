#pragma once

#include <filesystem>
#include <string>

#include "server/server_context.h"
#include "store/catalog.h"

namespace msearch::server {

// Checks a directory path sent by a client and returns it with symbolic
// links resolved. Throws ApiError 400 naming `parameter` when the path is
// not absolute, does not exist, is not a directory or is not readable.
std::filesystem::path RequireReadableDirectory(const std::string& text,
                                               const std::string& parameter);

struct AddedDirectory {
  store::DirectoryRecord record;
  bool created = false;  // false when the directory was watched already
  bool monitor_notified = false;
};

// Watches `directory`, a path from RequireReadableDirectory. Adds it to the
// catalog, or attaches a detached entry again, and notifies the file monitor.
AddedDirectory AddWatchedDirectory(ServerContext& context, store::Catalog& catalog,
                                   const std::filesystem::path& directory, bool recursive);

// The queue scope of the tasks of one watched directory, as the task
// producers set it.
std::string DirectoryScope(int64_t directory_id);

}  // namespace msearch::server
