#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "search/vector_backend.h"

namespace msearch::search {

// Exact search: the vectors in one contiguous array, scored one by one
// against the query. Removal moves the last row into the gap, so memory
// stays proportional to the vectors present.
class FlatVectors final : public VectorBackend {
 public:
  explicit FlatVectors(size_t dimension, size_t expected_size = 0);

  void Add(std::span<const int64_t> ids, std::span<const float> vectors) override;
  size_t Remove(std::span<const int64_t> ids) override;
  bool Contains(int64_t id) const override { return rows_.contains(id); }
  size_t size() const override { return ids_.size(); }
  std::vector<int64_t> Ids() const override { return ids_; }
  void Search(const float* query, const IdFilter& filter, float min_score,
              TopK& top) const override;
  size_t MemoryBytes() const override;
  size_t slot_count() const override { return ids_.size(); }
  bool stable_slots() const override { return false; }
  void CopySlots(size_t begin, size_t end, std::vector<int64_t>& ids,
                 std::vector<float>& vectors) const override;

  // Returns the row of `id`, if present. Rows are 0 to size() - 1, and a
  // removal moves the last row into the removed one.
  std::optional<size_t> RowOf(int64_t id) const {
    auto position = rows_.find(id);
    if (position == rows_.end()) return std::nullopt;
    return position->second;
  }
  int64_t IdAt(size_t row) const { return ids_[row]; }
  const float* RowData(size_t row) const { return data_.data() + row * dimension_; }

 private:
  size_t dimension_;
  std::vector<float> data_;  // row i is the vector of ids_[i]
  std::vector<int64_t> ids_;
  std::unordered_map<int64_t, size_t> rows_;  // id to row
};

}  // namespace msearch::search
