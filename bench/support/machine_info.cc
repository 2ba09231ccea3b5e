#include "support/machine_info.h"

#include <cstdlib>
#include <ctime>
#include <fstream>

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace msearch::bench {
namespace {

// The value after the first "key<whitespace>:" line of a /proc text file.
std::string ProcField(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "unknown";
}

std::string UtcNow() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M UTC", &utc);
  return text;
}

}  // namespace

std::string DescribeMachine() {
  double load[1] = {0};
  if (getloadavg(load, 1) != 1) load[0] = -1;
  utsname system{};
  uname(&system);
  long memory_kb = std::strtol(ProcField("/proc/meminfo", "MemTotal").c_str(), nullptr, 10);
  return fmt::format("{}; {} x {}; {:.1f} GiB RAM; Linux {}; load average {:.2f}", UtcNow(),
                     sysconf(_SC_NPROCESSORS_ONLN), ProcField("/proc/cpuinfo", "model name"),
                     static_cast<double>(memory_kb) / (1024.0 * 1024.0), system.release, load[0]);
}

}  // namespace msearch::bench
