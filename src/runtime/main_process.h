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

// Runs the main process in the foreground until SIGTERM or SIGINT. It takes
// the data directory's lock and starts the IPC socket, the child processes
// (file monitor, task and embedding workers) and the REST API, then
// supervises the children. Everything stops in order before it returns the
// exit code. Throws msearch::Error when start-up fails, for example because
// another instance owns the data directory.
int RunMainProcess(const config::Config& config, const ServeOptions& options);

}  // namespace msearch::runtime
