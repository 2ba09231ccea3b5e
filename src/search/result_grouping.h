#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "search/rank_fusion.h"
#include "search/search_request.h"
#include "search/search_result.h"
#include "store/catalog.h"

namespace msearch::search {

// One piece of evidence that a file matches the query.
struct Evidence {
  int64_t file_id = 0;
  MatchSource source = MatchSource::kVector;
  Modality modality = Modality::kImage;
  double score = 0;  // weighted and calibrated, in (0, 1]
  std::optional<SegmentMatch> segment;
  std::vector<std::string> matched_fields;
  std::optional<std::string> matched_text;
};

// A file's evidence combined: SearchResultItem without the file's record.
struct FileMatch {
  int64_t file_id = 0;
  double score = 0;
  Modality modality = Modality::kImage;
  std::vector<MatchSource> sources;
  std::vector<std::string> matched_fields;
  std::optional<std::string> matched_text;
  std::vector<SegmentMatch> segments;
  std::optional<SegmentMatch> best_segment;
};

// Groups evidence by file. Within one kind of evidence (source and
// modality) only the best score counts, so twenty weak segments never add
// up to a strong match. The kinds are then combined by noisy-OR
// (CombineScores). Stretches of the same segment merge and keep the best
// score. Each file keeps at most its `max_segments` best stretches, listed in time
// order. Returns the files by descending score, ties by ascending id.
std::vector<FileMatch> GroupByFile(std::span<const Evidence> evidence, size_t max_segments);

// True when `file` passes every filter that is set.
bool PassesFilters(const store::FileRecord& file, const SearchFilters& filters);

// Drops items below options.threshold, keeps the options.top_k best by
// score and sorts them by options.sort. Returns the number of items at or
// above the threshold, before the top_k cut.
size_t SortAndCut(std::vector<SearchResultItem>& items, const SearchOptions& options);

}  // namespace msearch::search
