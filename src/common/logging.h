#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <spdlog/spdlog.h>

namespace msearch {

struct LoggingOptions {
  std::filesystem::path log_dir = "logs";
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  size_t max_file_bytes = 10 * 1024 * 1024;
  size_t max_files = 5;  // rotated files kept besides the active one
  bool to_console = false;
};

// Installs `file_name` under the log directory (created if missing) as the
// default spdlog logger, rotated by size. `logger_name` tags each line.
// Safe to call again, for example after a fork, to switch files.
void InitLogging(const LoggingOptions& options, const std::string& logger_name,
                 const std::filesystem::path& file_name);

// Returns a named logger writing to its own rotated file under the log
// directory given to InitLogging, creating it on first use. The REST API
// server logs through `OpenFileLogger("api", "api_server.log")`.
std::shared_ptr<spdlog::logger> OpenFileLogger(const std::string& logger_name,
                                               const std::filesystem::path& file_name);

// Passes through at most `burst` messages per key in each `window`, and counts
// the rest, so a failure repeated for thousands of files does not flood the
// log. The first message after a window reports how many were suppressed.
class LogRateLimiter {
 public:
  LogRateLimiter(size_t burst, std::chrono::seconds window) : burst_(burst), window_(window) {}

  // Returns true if a message under `key` may be logged now. On true,
  // `*suppressed` receives the number of messages dropped since the last one.
  bool Allow(std::string_view key, size_t* suppressed);

 private:
  struct Bucket {
    std::chrono::steady_clock::time_point window_start;
    size_t passed = 0;
    size_t dropped = 0;
  };

  const size_t burst_;
  const std::chrono::seconds window_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace msearch
