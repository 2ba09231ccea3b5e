#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace msearch::cli {

// "1.5 MB", "320 KB", "12 B".
std::string HumanBytes(uint64_t bytes);

// "3 h 02 min", "4 min 05 s", "12 s".
std::string HumanDuration(double seconds);

// Prints `value` as indented JSON on stdout.
void PrintJson(const nlohmann::json& value);

// A one-line progress bar on stderr, redrawn in place on a terminal and
// printed at most every few seconds otherwise.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  void Update(int64_t done, int64_t total, std::string_view current);
  void Finish();

 private:
  std::string label_;
  bool terminal_;
  double started_at_;
  double last_draw_ = 0;
};

}  // namespace msearch::cli
