#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace msearch::bench {

// Variables added to (or replacing those of) this process's environment.
using Environment = std::vector<std::pair<std::string, std::string>>;

// Starts `argv` with posix_spawn; argv[0] is searched in PATH when it has no
// slash. stdin reads /dev/null, stdout is appended to `output` (inherited
// when empty) and stderr to `error_output` (the same as stdout when empty).
// Throws std::system_error when the spawn fails.
pid_t Spawn(const std::vector<std::string>& argv, const std::filesystem::path& output,
            const Environment& environment = {}, const std::filesystem::path& error_output = {});

// Waits up to `timeout_seconds` for child `pid` to exit, polling every
// millisecond. Returns the waitpid status, or nullopt on timeout (the child
// is then still running and still needs reaping).
std::optional<int> WaitExit(pid_t pid, double timeout_seconds);

// Returns the waitpid status when child `pid` has exited, nullopt while it runs.
std::optional<int> TryReap(pid_t pid);

// Sends SIGTERM, waits up to `timeout_seconds`, then SIGKILL. Returns the
// seconds from SIGTERM until the exit, or nullopt when SIGKILL was needed.
std::optional<double> TerminateAndWait(pid_t pid, double timeout_seconds);

// True when the waitpid `status` is a normal exit with code 0.
bool ExitedCleanly(int status);

}  // namespace msearch::bench
