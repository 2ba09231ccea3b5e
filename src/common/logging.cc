#include "common/logging.h"

#include <vector>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace msearch {
namespace {

std::mutex g_options_mutex;
LoggingOptions g_options;

spdlog::sink_ptr MakeFileSink(const LoggingOptions& options, const std::filesystem::path& name) {
  std::filesystem::path path = options.log_dir / name;
  std::filesystem::create_directories(path.parent_path());
  return std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
      path.string(), options.max_file_bytes, options.max_files);
}

}  // namespace

void InitLogging(const LoggingOptions& options, const std::string& logger_name,
                 const std::filesystem::path& file_name) {
  {
    std::lock_guard lock(g_options_mutex);
    g_options = options;
  }
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(MakeFileSink(options, file_name));
  if (options.to_console) sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());

  auto logger = std::make_shared<spdlog::logger>(logger_name, sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(options.level));
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n:%P] %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

std::shared_ptr<spdlog::logger> OpenFileLogger(const std::string& logger_name,
                                               const std::filesystem::path& file_name) {
  if (auto existing = spdlog::get(logger_name)) return existing;
  LoggingOptions options;
  {
    std::lock_guard lock(g_options_mutex);
    options = g_options;
  }
  auto logger = std::make_shared<spdlog::logger>(logger_name, MakeFileSink(options, file_name));
  logger->set_level(spdlog::level::from_str(options.level));
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n:%P] %v");
  logger->flush_on(spdlog::level::info);
  spdlog::register_logger(logger);
  return logger;
}

bool LogRateLimiter::Allow(std::string_view key, size_t* suppressed) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  Bucket& bucket = buckets_[std::string(key)];
  if (now - bucket.window_start >= window_) {
    bucket.window_start = now;
    bucket.passed = 0;
  }
  if (bucket.passed >= burst_) {
    ++bucket.dropped;
    return false;
  }
  ++bucket.passed;
  *suppressed = bucket.dropped;
  bucket.dropped = 0;
  return true;
}

}  // namespace msearch
