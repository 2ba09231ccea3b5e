#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

namespace msearch::queue {

// A map of at most `capacity` entries that evicts the least recently used
// entry (by Get or Put) to make room. A capacity of 0 stores nothing.
//
// Thread safety: all methods may be called from several threads at once;
// one mutex guards the whole cache. Get returns a copy, so V should be
// cheap to copy or a shared_ptr.
template <typename K, typename V, typename Hash = std::hash<K>>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity) {}

  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;

  // Returns the value and marks it most recently used, or nullopt.
  std::optional<V> Get(const K& key) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    entries_.splice(entries_.begin(), entries_, it->second);
    return it->second->second;
  }

  // Inserts or replaces the value and marks it most recently used, evicting
  // the least recently used entry when the cache is full.
  void Put(const K& key, V value) {
    std::lock_guard lock(mutex_);
    if (capacity_ == 0) return;
    auto it = index_.find(key);
    if (it != index_.end()) {
      it->second->second = std::move(value);
      entries_.splice(entries_.begin(), entries_, it->second);
      return;
    }
    if (entries_.size() >= capacity_) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
    entries_.emplace_front(key, std::move(value));
    index_.emplace(key, entries_.begin());
  }

  // Removes the entry. Returns whether it was present.
  bool Erase(const K& key) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    entries_.erase(it->second);
    index_.erase(it);
    return true;
  }

  // Removes every entry for which `predicate(key, value)` is true. Returns the count.
  template <typename Predicate>
  size_t EraseIf(Predicate predicate) {
    std::lock_guard lock(mutex_);
    size_t erased = 0;
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (predicate(it->first, it->second)) {
        index_.erase(it->first);
        it = entries_.erase(it);
        ++erased;
      } else {
        ++it;
      }
    }
    return erased;
  }

  // Checks presence without marking the entry used.
  bool Contains(const K& key) const {
    std::lock_guard lock(mutex_);
    return index_.contains(key);
  }

  void Clear() {
    std::lock_guard lock(mutex_);
    index_.clear();
    entries_.clear();
  }

  size_t Size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }

  size_t capacity() const { return capacity_; }

 private:
  using Entry = std::pair<K, V>;

  const size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<K, typename std::list<Entry>::iterator, Hash> index_;
};

}  // namespace msearch::queue
