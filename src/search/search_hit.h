#pragma once

#include <cstdint>
#include <functional>
#include <limits>

namespace msearch::search {

// One search result: an embedding id and its inner product with the query.
// Both vectors are unit length, so the score is the cosine similarity, in
// [-1, 1], higher is better.
struct SearchHit {
  int64_t id = 0;
  float score = 0;

  friend bool operator==(const SearchHit&, const SearchHit&) = default;
};

// A predicate that is true for the ids a search may return. It is called
// possibly many times per search while the index keeps its read lock, so it
// must be fast and must not call back into the index. When searches share a
// scan, another searching thread may call it while the search's own waits.
using IdFilter = std::function<bool(int64_t id)>;

// The min_score that keeps every hit.
inline constexpr float kNoMinScore = -std::numeric_limits<float>::infinity();

}  // namespace msearch::search
