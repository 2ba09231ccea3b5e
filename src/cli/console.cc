#include "cli/console.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "common/clock.h"

namespace msearch::cli {

std::string HumanBytes(uint64_t bytes) {
  constexpr const char* kUnits[] = {"B", "KB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string HumanDuration(double seconds) {
  auto total = static_cast<int64_t>(seconds + 0.5);
  if (total >= 3600) return fmt::format("{} h {:02} min", total / 3600, (total % 3600) / 60);
  if (total >= 60) return fmt::format("{} min {:02} s", total / 60, total % 60);
  return fmt::format("{} s", total);
}

void PrintJson(const nlohmann::json& value) {
  std::cout << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)), terminal_(isatty(STDERR_FILENO) == 1),
      started_at_(MonotonicSeconds()) {}

void ProgressBar::Update(int64_t done, int64_t total, std::string_view current) {
  double now = MonotonicSeconds();
  double min_interval = terminal_ ? 0.1 : 5.0;
  if (done < total && now - last_draw_ < min_interval) return;
  last_draw_ = now;

  double elapsed = std::max(now - started_at_, 1e-3);
  double rate = static_cast<double>(done) / elapsed;
  double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  constexpr int kWidth = 24;
  int filled = static_cast<int>(fraction * kWidth);
  std::string bar = std::string(static_cast<size_t>(filled), '#') +
                    std::string(static_cast<size_t>(kWidth - filled), '-');
  std::string eta = rate > 0 && done < total
                        ? "ETA " + HumanDuration(static_cast<double>(total - done) / rate)
                        : "";
  std::string name(current.substr(0, 40));
  std::string line = fmt::format("{} [{}] {}/{} {:5.1f}%  {:.1f} files/s  {}  {}", label_, bar, done,
                                 total, fraction * 100, rate, eta, name);
  if (terminal_) {
    std::cerr << '\r' << line << "\033[K" << std::flush;
  } else {
    std::cerr << line << '\n';
  }
}

void ProgressBar::Finish() {
  if (terminal_) std::cerr << '\n';
}

}  // namespace msearch::cli
