#include "search/result_grouping.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <utility>

namespace msearch::search {
namespace {

// Returns true when `path` lies inside `folder`, comparing whole path
// components: /a/b/c is inside /a/b, but /a/bc is not.
bool IsBelow(const std::filesystem::path& path, const std::filesystem::path& folder) {
  auto path_part = path.begin();
  for (const auto& folder_part : folder) {
    if (folder_part.empty()) continue;  // the trailing "" of "/a/b/"
    if (path_part == path.end() || *path_part != folder_part) return false;
    ++path_part;
  }
  return path_part != path.end();
}

using StretchKey = std::tuple<std::string, long long, long long>;

// Identifies the stretch a segment match covers, to the millisecond, so
// that a segment found by its vector and by its recognised text is listed
// once.
StretchKey KeyOf(const SegmentMatch& segment) {
  return {segment.track, std::llround(segment.start_s * 1000), std::llround(segment.end_s * 1000)};
}

// Keeps the higher score of two matches of one stretch, and the segment
// index and thumbnail that either has.
void Merge(SegmentMatch& merged, const SegmentMatch& other) {
  if (other.score > merged.score) {
    merged.score = other.score;
    merged.source = other.source;
  }
  if (merged.index < 0 && other.index >= 0) {
    merged.index = other.index;
    merged.representative_s = other.representative_s;
  }
  if (!merged.thumbnail_path) merged.thumbnail_path = other.thumbnail_path;
}

struct FileEvidence {
  // Best score per kind of evidence.
  std::map<std::pair<MatchSource, Modality>, double> best;
  std::map<StretchKey, SegmentMatch> stretches;
  std::vector<std::string> matched_fields;
  std::optional<std::string> matched_text;
  double matched_text_score = 0;
};

}  // namespace

std::string_view MatchSourceName(MatchSource source) {
  switch (source) {
    case MatchSource::kVector:
      return "vector";
    case MatchSource::kText:
      return "text";
    case MatchSource::kMetadata:
      return "metadata";
    case MatchSource::kFingerprint:
      return "fingerprint";
  }
  return "unknown";
}

std::vector<FileMatch> GroupByFile(std::span<const Evidence> evidence, size_t max_segments) {
  std::map<int64_t, FileEvidence> files;
  for (const Evidence& item : evidence) {
    if (!(item.score > 0)) continue;
    FileEvidence& file = files[item.file_id];
    double& best = file.best[{item.source, item.modality}];
    best = std::max(best, item.score);
    if (item.segment) {
      SegmentMatch segment = *item.segment;
      segment.score = item.score;
      segment.source = item.source;
      auto [entry, added] = file.stretches.emplace(KeyOf(segment), segment);
      if (!added) Merge(entry->second, segment);
    }
    for (const std::string& field : item.matched_fields) {
      if (std::find(file.matched_fields.begin(), file.matched_fields.end(), field) ==
          file.matched_fields.end()) {
        file.matched_fields.push_back(field);
      }
    }
    if (item.matched_text && item.score > file.matched_text_score) {
      file.matched_text = item.matched_text;
      file.matched_text_score = item.score;
    }
  }

  std::vector<FileMatch> matches;
  matches.reserve(files.size());
  for (auto& [file_id, file] : files) {
    FileMatch match;
    match.file_id = file_id;
    std::vector<std::pair<double, std::pair<MatchSource, Modality>>> kinds;
    std::vector<double> scores;
    for (const auto& [kind, score] : file.best) {
      kinds.push_back({score, kind});
      scores.push_back(score);
    }
    std::sort(kinds.begin(), kinds.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    match.score = CombineScores(scores);
    match.modality = kinds.front().second.second;
    for (const auto& kind : kinds) {
      MatchSource source = kind.second.first;
      if (std::find(match.sources.begin(), match.sources.end(), source) == match.sources.end()) {
        match.sources.push_back(source);
      }
    }
    match.matched_fields = std::move(file.matched_fields);
    match.matched_text = std::move(file.matched_text);

    for (auto& entry : file.stretches) match.segments.push_back(std::move(entry.second));
    std::stable_sort(
        match.segments.begin(), match.segments.end(),
        [](const SegmentMatch& a, const SegmentMatch& b) { return a.score > b.score; });
    if (!match.segments.empty()) match.best_segment = match.segments.front();
    if (match.segments.size() > max_segments) match.segments.resize(max_segments);
    std::sort(match.segments.begin(), match.segments.end(),
              [](const SegmentMatch& a, const SegmentMatch& b) {
                return std::tie(a.start_s, a.end_s, a.track) <
                       std::tie(b.start_s, b.end_s, b.track);
              });
    matches.push_back(std::move(match));
  }
  std::sort(matches.begin(), matches.end(), [](const FileMatch& a, const FileMatch& b) {
    return a.score > b.score || (a.score == b.score && a.file_id < b.file_id);
  });
  return matches;
}

bool PassesFilters(const store::FileRecord& file, const SearchFilters& filters) {
  if (!filters.file_types.empty() && std::find(filters.file_types.begin(), filters.file_types.end(),
                                               file.kind) == filters.file_types.end()) {
    return false;
  }
  if (filters.directory && !IsBelow(file.path, *filters.directory)) return false;
  double modified = static_cast<double>(file.mtime_ns) / 1e9;
  if (filters.modified_after && modified < *filters.modified_after) return false;
  if (filters.modified_before && modified > *filters.modified_before) return false;
  if (filters.min_size && file.size < *filters.min_size) return false;
  if (filters.max_size && file.size > *filters.max_size) return false;
  return true;
}

size_t SortAndCut(std::vector<SearchResultItem>& items, const SearchOptions& options) {
  std::erase_if(items,
                [&](const SearchResultItem& item) { return item.score < options.threshold; });
  auto by_score = [](const SearchResultItem& a, const SearchResultItem& b) {
    return a.score > b.score || (a.score == b.score && a.file.id < b.file.id);
  };
  auto by_key = [&](const SearchResultItem& a, const SearchResultItem& b) {
    double key_a = 0;
    double key_b = 0;
    if (options.sort == SortKey::kDate) {
      key_a = static_cast<double>(a.file.mtime_ns);
      key_b = static_cast<double>(b.file.mtime_ns);
    } else {
      key_a = static_cast<double>(a.file.size);
      key_b = static_cast<double>(b.file.size);
    }
    if (key_a != key_b) return options.descending ? key_a > key_b : key_a < key_b;
    return by_score(a, b);
  };
  // The best top_k by score are chosen first, whatever the requested order.
  // Sorting by date orders the best matches by date and does not return the
  // newest weak ones.
  std::sort(items.begin(), items.end(), by_score);
  size_t total = items.size();
  if (items.size() > options.top_k) items.resize(options.top_k);
  if (options.sort != SortKey::kScore) std::sort(items.begin(), items.end(), by_key);
  return total;
}

}  // namespace msearch::search
