#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace msearch::bench {

// Memory of one process from /proc/PID/smaps_rollup, in bytes.
struct ProcessMemory {
  pid_t pid = 0;
  std::string name;            // the value of --id for msearch children, else "main"
  uint64_t rss = 0;            // resident pages, shared ones counted in full
  uint64_t pss = 0;            // private pages plus an equal share of each shared page
  uint64_t private_bytes = 0;  // Private_Clean + Private_Dirty (unique set size)
};

// `root` and all its descendants, found through the parent pid in
// /proc/PID/stat. Processes that exit during the walk are left out.
std::vector<pid_t> ProcessTree(pid_t root);

// Reads one process's memory. Returns nullopt when the process is gone or
// its smaps_rollup cannot be read (it needs Linux 4.14 or later).
std::optional<ProcessMemory> ReadProcessMemory(pid_t pid);

// ReadProcessMemory for every process of ProcessTree(root).
std::vector<ProcessMemory> ReadTreeMemory(pid_t root);

}  // namespace msearch::bench
