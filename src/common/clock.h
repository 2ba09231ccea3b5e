#pragma once

#include <string>

namespace msearch {

// Seconds since the Unix epoch, with sub-second precision. The database stores
// every timestamp in this unit (SQLite REAL).
double NowSeconds();

// Seconds on a clock that never jumps, for timeouts and intervals.
double MonotonicSeconds();

// Formats Unix seconds as ISO 8601 in UTC with milliseconds, for example
// "2026-12-04T16:37:49.123Z". Returns an empty string for a negative value.
std::string FormatIso8601(double unix_seconds);

}  // namespace msearch
