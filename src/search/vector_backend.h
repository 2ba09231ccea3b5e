#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "search/search_hit.h"
#include "search/top_k.h"

namespace msearch::search {

// The storage and search structure behind a VectorIndex: exact (FlatVectors)
// or approximate (HnswGraph). Vectors arrive validated and unit length, and
// ids are unique within one Add call. Not thread-safe: VectorIndex locks.
class VectorBackend {
 public:
  virtual ~VectorBackend() = default;

  // Adds vectors (`ids.size()` rows of the index's dimension, row-major), or
  // replaces the vector of an id already present.
  virtual void Add(std::span<const int64_t> ids, std::span<const float> vectors) = 0;
  // Removes the ids present and returns how many there were.
  virtual size_t Remove(std::span<const int64_t> ids) = 0;
  virtual bool Contains(int64_t id) const = 0;
  // Vectors that searches can return.
  virtual size_t size() const = 0;
  // Removed vectors that still take space (HNSW only).
  virtual size_t deleted() const { return 0; }
  // Ids of the vectors present, in no particular order.
  virtual std::vector<int64_t> Ids() const = 0;

  // Offers the vectors most similar to `query` that pass `filter` (when set)
  // and score at least `min_score` to `top`.
  virtual void Search(const float* query, const IdFilter& filter, float min_score,
                      TopK& top) const = 0;

  // Estimated heap bytes held, including capacity reserved for growth.
  virtual size_t MemoryBytes() const = 0;

  // Storage positions, for copying the vectors out in chunks. With
  // stable_slots(), a slot keeps its vector until it is removed, and new
  // vectors go to new slots. Chunks copied at different times then add up
  // to a consistent copy once the changes made in between are applied.
  virtual size_t slot_count() const = 0;
  virtual bool stable_slots() const = 0;
  // Appends the ids and vectors present in slots [begin, end).
  virtual void CopySlots(size_t begin, size_t end, std::vector<int64_t>& ids,
                         std::vector<float>& vectors) const = 0;
};

}  // namespace msearch::search
