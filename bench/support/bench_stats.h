#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace msearch::bench {

// Median, minimum and maximum of repeated measurements of one figure.
struct Summary {
  double median = 0;
  double min = 0;
  double max = 0;
  size_t count = 0;
};

// Summarises `values`; the median of an even count is the mean of the two
// middle values. Returns a zero Summary for an empty vector.
Summary Summarize(std::vector<double> values);

// Prints the column header that PrintRow lines up with.
void PrintTableHeader(std::string_view first_column);

// Prints one line: name, median, min, max, unit and the number of runs,
// with `decimals` digits after the point, and flushes stdout so progress
// shows while a long benchmark runs.
void PrintRow(std::string_view name, const Summary& summary, std::string_view unit,
              int decimals = 0);

}  // namespace msearch::bench
