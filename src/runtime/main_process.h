#pragma once

#include <filesystem>
#include <optional>

#include "config/config.h"

namespace msearch::runtime {

struct ServeOptions {
  // Written with the main process's pid once the API is up, removed at exit.
  std::optional<std::filesystem::path> pid_file;
  bool log_to_console = true;
};

// A JSON file {"host", "port", "pid"} that the main process writes once its
// REST API listens and removes when it stops.
std::filesystem::path ApiEndpointFile(const config::Config& config);

// Runs the main process in the foreground until SIGTERM or SIGINT: takes the
// data directory's lock, starts the IPC socket, the file monitor, the task
// and embedding workers (as child processes of this executable) and the REST
// API, then supervises them. Stops everything in order before returning.
// Returns the process exit code; throws msearch::Error for a start-up
// failure such as another instance owning the data directory.
int RunMainProcess(const config::Config& config, const ServeOptions& options);

}  // namespace msearch::runtime
