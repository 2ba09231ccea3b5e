#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace msearch::runtime {

// Starts `executable` with `args` (argv[1..]) as a child process, its stdin
// on /dev/null and its stdout and stderr appended to `output_log`, so that
// messages printed by libraries (or a crash report) are kept. No shell is
// involved. Throws msearch::Error when the process cannot be started.
pid_t SpawnChild(const std::filesystem::path& executable, const std::vector<std::string>& args,
                 const std::filesystem::path& output_log);

// How a reaped child ended, in words for logs and the process table:
// "exited with code 3" or "killed by signal 9 (Killed)".
std::string DescribeExitStatus(int wait_status);

// Arranges for the calling process to receive SIGTERM when its parent dies,
// so children never outlive a main process killed with SIGKILL. Returns false
// when the parent `expected_parent` is already gone.
bool DieWithParent(pid_t expected_parent);

}  // namespace msearch::runtime
