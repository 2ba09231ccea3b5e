#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>

namespace msearch {

// Resident set size of process `pid` in bytes, read from /proc/PID/status.
// Returns nullopt when the process does not exist or cannot be read.
std::optional<uint64_t> ResidentBytes(pid_t pid);

// Absolute path of the running executable (/proc/self/exe).
std::filesystem::path ExecutablePath();

// True if a process with this pid exists and is not a zombie.
bool ProcessAlive(pid_t pid);

}  // namespace msearch
