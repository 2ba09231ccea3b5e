#include "common/process_info.h"

#include <signal.h>

#include <cerrno>
#include <fstream>
#include <string>

namespace msearch {

std::optional<uint64_t> ResidentBytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      // The line reads "VmRSS:    12345 kB".
      return std::stoull(line.substr(6)) * 1024;
    }
  }
  return std::nullopt;
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
