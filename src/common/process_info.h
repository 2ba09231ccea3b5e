#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include <sys/types.h>

namespace msearch {

// Resident set size of process `pid` in bytes, read from /proc/PID/status.
// Returns nullopt when the process does not exist or cannot be read.
std::optional<uint64_t> ResidentBytes(pid_t pid);

// Proportional set size of process `pid` in bytes, from
// /proc/PID/smaps_rollup: its private pages plus its share of pages mapped by
// several processes. Summing it over a process tree counts shared libraries
// once, unlike the resident set size. Returns nullopt when unreadable.
std::optional<uint64_t> ProportionalBytes(pid_t pid);

// Absolute path of the running executable (/proc/self/exe).
std::filesystem::path ExecutablePath();

// True if a process with this pid exists and is not a zombie.
bool ProcessAlive(pid_t pid);

}  // namespace msearch
