#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "store/sqlite.h"

namespace msearch::search {

// The catalog file and, for a segment's vector, the segment that a stored
// vector belongs to.
struct EmbeddingLocation {
  int64_t file_id = 0;
  std::optional<int64_t> segment_id;
  std::string track;  // video or audio; empty without a segment
  int segment_index = -1;
  double start_s = 0;
  double end_s = 0;
  double representative_s = 0;
  std::optional<std::string> thumbnail_path;
};

// Looks up the file and segment of each embedding id in the catalog. Ids
// without a row (the file was deleted or its vectors were replaced) are
// missing from the result.
std::unordered_map<int64_t, EmbeddingLocation> LocateEmbeddings(store::Database& catalog,
                                                                std::span<const int64_t> ids);

}  // namespace msearch::search
