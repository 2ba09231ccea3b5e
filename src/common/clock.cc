#include "common/clock.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>

#include <fmt/format.h>

namespace msearch {

double NowSeconds() {
  using std::chrono::duration;
  using std::chrono::system_clock;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

double MonotonicSeconds() {
  using std::chrono::duration;
  using std::chrono::steady_clock;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string FormatIso8601(double unix_seconds) {
  if (unix_seconds < 0 || !std::isfinite(unix_seconds)) return {};
  // Round to whole milliseconds first: truncating the fraction would print
  // 1.123 as 1.122, because 0.123 has no exact binary representation.
  auto total_millis = static_cast<int64_t>(std::llround(unix_seconds * 1000.0));
  auto whole = static_cast<std::time_t>(total_millis / 1000);
  int millis = static_cast<int>(total_millis % 1000);
  std::tm utc{};
  gmtime_r(&whole, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

}  // namespace msearch
