#include "search/flat_vectors.h"

#include <algorithm>

#include "search/dot_product.h"

namespace msearch::search {

FlatVectors::FlatVectors(size_t dimension, size_t expected_size) : dimension_(dimension) {
  data_.reserve(expected_size * dimension);
  ids_.reserve(expected_size);
  rows_.reserve(expected_size);
}

void FlatVectors::Add(std::span<const int64_t> ids, std::span<const float> vectors) {
  for (size_t i = 0; i < ids.size(); ++i) {
    const float* vector = vectors.data() + i * dimension_;
    auto [position, inserted] = rows_.try_emplace(ids[i], ids_.size());
    if (inserted) {
      ids_.push_back(ids[i]);
      data_.insert(data_.end(), vector, vector + dimension_);
    } else {
      std::copy(vector, vector + dimension_, data_.begin() + position->second * dimension_);
    }
  }
}

size_t FlatVectors::Remove(std::span<const int64_t> ids) {
  size_t removed = 0;
  for (int64_t id : ids) {
    auto position = rows_.find(id);
    if (position == rows_.end()) continue;
    size_t row = position->second;
    size_t last = ids_.size() - 1;
    if (row != last) {
      std::copy(data_.begin() + last * dimension_, data_.begin() + (last + 1) * dimension_,
                data_.begin() + row * dimension_);
      ids_[row] = ids_[last];
      rows_[ids_[row]] = row;
    }
    ids_.pop_back();
    data_.resize(last * dimension_);
    rows_.erase(position);
    ++removed;
  }
  return removed;
}

void FlatVectors::Search(const float* query, const IdFilter& filter, float min_score,
                         TopK& top) const {
  for (size_t row = 0; row < ids_.size(); ++row) {
    if (filter && !filter(ids_[row])) continue;
    float score = InnerProduct(query, data_.data() + row * dimension_, dimension_);
    if (score >= min_score) top.Push(ids_[row], score);
  }
}

size_t FlatVectors::MemoryBytes() const {
  // An unordered_map node stores the key, the value and a next pointer, and
  // the bucket array one pointer per bucket. Allocator overhead is left out.
  constexpr size_t kNodeBytes = sizeof(void*) + sizeof(int64_t) + sizeof(size_t);
  return data_.capacity() * sizeof(float) + ids_.capacity() * sizeof(int64_t) +
         rows_.size() * kNodeBytes + rows_.bucket_count() * sizeof(void*);
}

void FlatVectors::CopySlots(size_t begin, size_t end, std::vector<int64_t>& ids,
                            std::vector<float>& vectors) const {
  end = std::min(end, ids_.size());
  for (size_t row = begin; row < end; ++row) {
    ids.push_back(ids_[row]);
    vectors.insert(vectors.end(), data_.begin() + row * dimension_,
                   data_.begin() + (row + 1) * dimension_);
  }
}

}  // namespace msearch::search
