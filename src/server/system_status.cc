#include "server/system_status.h"

#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/process_info.h"

namespace msearch::server {
namespace {

bool IsFailedProcessStatus(const nlohmann::json& status) {
  static const std::set<std::string> kFailed = {"failed", "error", "crashed", "stopped"};
  return status.is_string() && kFailed.contains(status.get<std::string>());
}

// A "Key: value kB" line of /proc/meminfo, in bytes.
std::optional<uint64_t> MeminfoBytes(const std::string& key) {
  std::ifstream meminfo("/proc/meminfo");
  std::string name;
  uint64_t kilobytes = 0;
  std::string unit;
  while (meminfo >> name >> kilobytes >> unit) {
    if (name == key + ":") return kilobytes * 1024;
  }
  return std::nullopt;
}

template <typename T>
nlohmann::json OrNull(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

std::string ProbeDatabase(store::Database& database) {
  database.Prepare("SELECT 1").Step();
  return "ok";
}

}  // namespace

nlohmann::json ProcessList(ServerContext& context, bool* ok) {
  *ok = true;
  if (!context.hooks.process_status) return nlohmann::json::array();
  nlohmann::json processes;
  bool called = CallHook(context, "process_status",
                         [&context, &processes] { processes = context.hooks.process_status(); });
  if (!called || !processes.is_array()) {
    if (called)
      context.logger->error("hook process_status returned {}, not an array", processes.type_name());
    *ok = false;
    return nlohmann::json::array();
  }
  for (const nlohmann::json& process : processes) {
    if (process.is_object() && IsFailedProcessStatus(process.value("status", nlohmann::json()))) {
      *ok = false;
    }
  }
  return processes;
}

nlohmann::json DatabaseStatus(ServerContext& context) {
  nlohmann::json status = {{"reachable", true}};
  DatabasePool::Lease lease = context.databases.Acquire();
  try {
    status["catalog"] = ProbeDatabase(lease.catalog().database());
  } catch (const std::exception& error) {
    status["catalog"] = error.what();
    status["reachable"] = false;
  }
  try {
    status["task_queue"] = ProbeDatabase(lease.queue().database());
  } catch (const std::exception& error) {
    status["task_queue"] = error.what();
    status["reachable"] = false;
  }
  return status;
}

std::string RuntimeDescription() {
  std::string standard = __cplusplus >= 202002L ? "C++20" : fmt::format("C++ {}", __cplusplus);
#if defined(__clang__)
  return fmt::format("{} (Clang {}.{}.{})", standard, __clang_major__, __clang_minor__,
                     __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("{} (GCC {}.{}.{})", standard, __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return standard;
#endif
}

std::string PlatformDescription() {
  utsname name{};
  if (uname(&name) != 0) return "unknown";
  return fmt::format("{} {} {}", name.sysname, name.release, name.machine);
}

nlohmann::json MemoryUsage(const nlohmann::json& processes) {
  uint64_t processes_rss = 0;
  for (const nlohmann::json& process : processes) {
    if (!process.is_object()) continue;
    auto rss = process.find("rss");
    if (rss != process.end() && rss->is_number_integer() && rss->get<int64_t>() > 0) {
      processes_rss += rss->get<uint64_t>();
    }
  }

  std::optional<uint64_t> total = MeminfoBytes("MemTotal");
  std::optional<uint64_t> available = MeminfoBytes("MemAvailable");
  nlohmann::json percent = nullptr;
  if (total && available && *total > 0) {
    percent = 100.0 * static_cast<double>(*total - std::min(*total, *available)) /
              static_cast<double>(*total);
  }
  return {
      {"api_process_rss_bytes", OrNull(ResidentBytes(getpid()))},
      {"processes_rss_bytes", processes_rss},
      {"system_total_bytes", OrNull(total)},
      {"system_available_bytes", OrNull(available)},
      {"system_used_percent", percent},
  };
}

nlohmann::json DiskUsage(const config::Config& config) {
  std::filesystem::path folder = config.storage.data_dir;
  if (folder.empty()) folder = config.storage.catalog_path.parent_path();
  std::error_code error;
  std::filesystem::space_info space = std::filesystem::space(folder, error);
  if (error) return nullptr;
  uint64_t used = space.capacity - space.free;
  double percent = space.capacity > 0
                       ? 100.0 * static_cast<double>(used) / static_cast<double>(space.capacity)
                       : 0.0;
  return {
      {"path", folder.string()},       {"total_bytes", space.capacity}, {"used_bytes", used},
      {"free_bytes", space.available}, {"used_percent", percent},
  };
}

}  // namespace msearch::server
