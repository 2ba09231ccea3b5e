#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "search/rank_fusion.h"
#include "store/catalog.h"
#include "store/media_info.h"

namespace msearch::search {

// The matcher that found a piece of evidence.
enum class MatchSource {
  kVector,       // nearest neighbours in an embedding space
  kText,         // full-text match of recognised text (OCR)
  kMetadata,     // full-text match of the name, path or tags
  kFingerprint,  // the query's sound found in the file's audio fingerprint
};

std::string_view MatchSourceName(MatchSource source);

// A stretch of a file that matched: a video segment, an audio window, the
// time range of recognised text, or the range of a fingerprint match.
struct SegmentMatch {
  std::string track;  // video or audio
  int index = -1;     // segment index in its track; -1 for ranges that are not segments
  double start_s = 0;
  double end_s = 0;
  double centre_s = 0;  // (start_s + end_s) / 2
  // The moment the segment's thumbnail shows, for catalogued segments.
  std::optional<double> representative_s;
  double score = 0;  // this stretch's weighted, calibrated score
  MatchSource source = MatchSource::kVector;
  std::optional<std::string> thumbnail_path;  // of a video segment, when it has one
};

// One file in the results, with every stretch of it that matched.
struct SearchResultItem {
  store::FileRecord file;
  std::optional<store::MediaInfo> info;
  double score = 0;                          // 0 to 1, see rank_fusion.h
  Modality modality = Modality::kImage;      // of the strongest evidence
  std::vector<MatchSource> sources;          // every way the file was found, strongest first
  std::vector<std::string> matched_fields;   // name, path, tags for metadata matches
  std::optional<std::string> matched_text;   // recognised text that matched
  std::vector<SegmentMatch> segments;        // in time order
  std::optional<SegmentMatch> best_segment;  // the highest-scoring one
};

// The results of one query.
struct SearchOutcome {
  std::vector<SearchResultItem> items;
  // Files at or above the threshold, before the top_k cut.
  size_t total_matches = 0;
  // Embedding spaces searched, with the models that encoded the query.
  std::vector<std::string> spaces;
  // Parts of the query that could not run (a model not installed, the
  // vector index still loading), as messages for the user.
  std::vector<std::string> warnings;
};

}  // namespace msearch::search
