#include "common/process_info.h"

#include <cerrno>
#include <fstream>
#include <string>
#include <string_view>

#include <signal.h>

namespace msearch {

namespace {

// Reads a "Name:   12345 kB" line from a /proc file, in bytes.
std::optional<uint64_t> ReadKilobyteField(const std::string& file, std::string_view field) {
  std::ifstream stream(file);
  std::string line;
  while (std::getline(stream, line)) {
    if (line.rfind(field, 0) == 0) return std::stoull(line.substr(field.size())) * 1024;
  }
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> ResidentBytes(pid_t pid) {
  return ReadKilobyteField("/proc/" + std::to_string(pid) + "/status", "VmRSS:");
}

std::optional<uint64_t> ProportionalBytes(pid_t pid) {
  return ReadKilobyteField("/proc/" + std::to_string(pid) + "/smaps_rollup", "Pss:");
}

std::filesystem::path ExecutablePath() { return std::filesystem::read_symlink("/proc/self/exe"); }

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content;
  std::getline(stat, content);
  // The state letter follows the parenthesised command name, which may itself
  // contain spaces and parentheses, so search from the last ')'.
  auto close = content.rfind(')');
  if (close == std::string::npos || close + 2 >= content.size()) return true;
  return content[close + 2] != 'Z';
}

}  // namespace msearch
