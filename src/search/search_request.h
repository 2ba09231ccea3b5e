#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace msearch::search {

// Filters on the files a search may return. A file must pass every filter
// that is set.
struct SearchFilters {
  std::vector<std::string> file_types;             // image, video, audio; empty: all
  std::optional<std::filesystem::path> directory;  // files below this folder (absolute)
  std::optional<double> modified_after;            // file mtime, Unix seconds, inclusive
  std::optional<double> modified_before;           // file mtime, Unix seconds, inclusive
  std::optional<uint64_t> min_size;                // bytes, inclusive
  std::optional<uint64_t> max_size;                // bytes, inclusive

  bool empty() const {
    return file_types.empty() && !directory && !modified_after && !modified_before && !min_size &&
           !max_size;
  }
};

enum class SortKey { kScore, kDate, kSize };

// Options common to every kind of query: the result count, the score
// threshold, the filters and the sort order.
struct SearchOptions {
  size_t top_k = 20;
  // Results scoring below this (0 to 1) are dropped. Matches below each
  // matcher's calibration floor are dropped in any case.
  double threshold = 0;
  SearchFilters filters;
  SortKey sort = SortKey::kScore;
  bool descending = true;  // for kDate and kSize; scores always sort best first
};

// A text query.
struct TextQuery {
  std::string text;
};

// An image file as the query.
struct ImageQuery {
  std::filesystem::path path;
};

// An audio file, or the sound track of a video, as the query.
struct AudioQuery {
  std::filesystem::path path;
};

// A video file, or the part of it from start_s to end_s, as the query.
struct VideoQuery {
  std::filesystem::path path;
  std::optional<double> start_s;
  std::optional<double> end_s;
};

}  // namespace msearch::search
