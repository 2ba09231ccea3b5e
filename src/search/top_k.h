#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "search/search_hit.h"

namespace msearch::search {

// Keeps the k best hits offered to it. Ties in score go to the lower id, so
// results do not depend on the order candidates arrive in.
class TopK {
 public:
  static constexpr size_t kMaxReserve = 1024;

  // Reserves room for at most kMaxReserve hits up front, because callers
  // may pass a k far above the number of vectors.
  explicit TopK(size_t k) : k_(k) { heap_.reserve(std::min(k, kMaxReserve)); }

  // Keeps the hit when fewer than k are kept or it beats the worst kept one.
  void Push(int64_t id, float score) {
    if (k_ == 0) return;
    SearchHit hit{id, score};
    if (heap_.size() < k_) {
      heap_.push_back(hit);
      std::push_heap(heap_.begin(), heap_.end(), Better);
    } else if (Better(hit, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), Better);
      heap_.back() = hit;
      std::push_heap(heap_.begin(), heap_.end(), Better);
    }
  }

  // Returns whether Push(id, score) would keep the hit now. Lets callers
  // skip costly checks for hits that would be dropped anyway.
  bool Admits(int64_t id, float score) const {
    return k_ > 0 && (heap_.size() < k_ || Better({id, score}, heap_.front()));
  }

  // Returns the score of the worst hit kept. Call it only when full().
  float worst_score() const { return heap_.front().score; }

  size_t k() const { return k_; }
  size_t size() const { return heap_.size(); }
  bool full() const { return heap_.size() >= k_; }

  // Returns the kept hits, best first, and empties the collector.
  std::vector<SearchHit> TakeSorted() {
    std::sort_heap(heap_.begin(), heap_.end(), Better);
    return std::move(heap_);
  }

  // Orders by score, higher first, then by id, lower first. Used as the heap
  // order, it puts the worst kept hit at the front.
  static bool Better(const SearchHit& a, const SearchHit& b) {
    return a.score > b.score || (a.score == b.score && a.id < b.id);
  }

 private:
  size_t k_;
  std::vector<SearchHit> heap_;
};

}  // namespace msearch::search
