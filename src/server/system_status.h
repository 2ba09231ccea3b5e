#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "server/server_context.h"

namespace msearch::server {

// The process list from the process_status hook as a JSON array; an empty
// array when no hook is set. `*ok` turns false when the hook threw, returned
// something other than an array, or lists a failed or stopped process.
nlohmann::json ProcessList(ServerContext& context, bool* ok);

// {reachable, catalog, task_queue}: "ok" or the error for each database.
nlohmann::json DatabaseStatus(ServerContext& context);

// The compiler and language standard the server was built with, e.g.
// "C++20 (GCC 12.2.0)".
std::string RuntimeDescription();

// Operating system, release and machine, e.g. "Linux 6.1.0 x86_64".
std::string PlatformDescription();

// Memory of this process, of all processes the hook lists, and of the system.
nlohmann::json MemoryUsage(const nlohmann::json& processes);

// Total, used and free bytes of the file system holding the data folder, or
// null when it cannot be read.
nlohmann::json DiskUsage(const config::Config& config);

}  // namespace msearch::server
