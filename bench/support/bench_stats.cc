#include "support/bench_stats.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace msearch::bench {

Summary Summarize(std::vector<double> values) {
  Summary summary;
  if (values.empty()) return summary;
  std::sort(values.begin(), values.end());
  size_t middle = values.size() / 2;
  summary.median =
      values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
  summary.min = values.front();
  summary.max = values.back();
  summary.count = values.size();
  return summary;
}

void PrintTableHeader(std::string_view first_column) {
  fmt::print("{:<44} {:>10} {:>10} {:>10}  {:<10} {}\n", first_column, "median", "min", "max",
             "unit", "runs");
  std::fflush(stdout);
}

void PrintRow(std::string_view name, const Summary& summary, std::string_view unit, int decimals) {
  fmt::print("{:<44} {:>10.{}f} {:>10.{}f} {:>10.{}f}  {:<10} {}\n", name, summary.median, decimals,
             summary.min, decimals, summary.max, decimals, unit, summary.count);
  std::fflush(stdout);
}

}  // namespace msearch::bench
