#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <span>
#include <vector>

#include "search/flat_vectors.h"
#include "search/vector_backend.h"

namespace msearch::search {

// Search by a scan of 8-bit codes, with exact scores for the best
// candidates. Each vector is kept as floats and as codes (one scale per
// vector, 127 levels each side of zero). A search estimates the score of
// every vector from the codes, which reads a quarter of the bytes of a
// float scan. It then scores the best rescore_count(k) estimates exactly
// and returns the k best of those.
//
// On random 512-d unit vectors the estimate errs by 0.0005 (root mean
// square; 0.0022 at most over 200,000 vectors). The gap between the k-th
// and the 4k-th neighbour is far larger, so the hits equal those of an
// exact scan (recall@10 1.0 at 1M vectors), where an HNSW graph misses most.
// A minimum score is applied with a bound on the estimate's error, so it
// drops no vector whose exact score reaches it.
// Codes encode each vector minus a centre: the mean of the vectors present
// when their number first reaches kCentreSample, fixed after that. Embeddings of one model share a
// common component, and one scale per vector would otherwise spend its 127
// levels on it. The centre adds the same q.m to every score, so the
// ranking is unchanged.
//
// Scans run at most one per CPU at a time. Searches that arrive while every
// CPU scans wait, then share the next scan, which reads each block of codes
// from memory once for all of them.
//
// Removal moves the last row into the gap.
class QuantizedVectors final : public VectorBackend {
 public:
  // Candidates rescored per search: rescore_count(k) = max(k *
  // kRescoreFactor, kMinRescore).
  static constexpr size_t kRescoreFactor = 4;
  static constexpr size_t kMinRescore = 64;

  explicit QuantizedVectors(size_t dimension, size_t expected_size = 0);

  void Add(std::span<const int64_t> ids, std::span<const float> vectors) override;
  size_t Remove(std::span<const int64_t> ids) override;
  bool Contains(int64_t id) const override { return floats_.Contains(id); }
  size_t size() const override { return floats_.size(); }
  std::vector<int64_t> Ids() const override { return floats_.Ids(); }
  void Search(const float* query, const IdFilter& filter, float min_score,
              TopK& top) const override;
  size_t MemoryBytes() const override;
  size_t slot_count() const override { return floats_.slot_count(); }
  bool stable_slots() const override { return false; }
  void CopySlots(size_t begin, size_t end, std::vector<int64_t>& ids,
                 std::vector<float>& vectors) const override {
    floats_.CopySlots(begin, end, ids, vectors);
  }

  static size_t rescore_count(size_t k);

  // The maximum dimension: a row's sum of up to 255 x 127 per element must
  // fit in 32 bits. The constructor throws Error above it.
  static constexpr size_t kMaxDimension = 66304;

  // The largest number of searches that share one scan.
  static constexpr size_t kMaxScanBatch = 16;

  // Vectors whose mean becomes the centre that codes are taken from.
  static constexpr size_t kCentreSample = 1024;

 private:
  // An allocator of 64-byte aligned blocks, so that code rows start on
  // cache lines.
  template <typename T>
  struct CacheLineAllocator {
    using value_type = T;
    CacheLineAllocator() = default;
    template <typename U>
    CacheLineAllocator(const CacheLineAllocator<U>&) {}
    T* allocate(size_t count) {
      return static_cast<T*>(::operator new (count * sizeof(T), std::align_val_t{64}));
    }
    void deallocate(T* block, size_t) { ::operator delete (block, std::align_val_t{64}); }
    friend bool operator==(const CacheLineAllocator&, const CacheLineAllocator&) { return true; }
  };

  // Terms of one row's estimate and of its error bound.
  struct RowScale {
    float scale = 0;    // code step: the vector is about scale * (code - 128)
    float abs_sum = 0;  // L1 norm of the vector
  };

  struct ScanJob;

  // Computes the codes and scale of a row from its floats.
  void EncodeRow(size_t row);
  // Sets the centre to the mean of the vectors present and encodes every
  // row again.
  void SetCentre();
  // Runs `job` in the next scan, leading that scan when none is running.
  void ScanTogether(ScanJob& job) const;
  void ScanBlocks(std::span<ScanJob* const> jobs) const;
  // Offers the rows [begin, begin + rows) with their code sums to the job's
  // candidates.
  void OfferBlock(ScanJob& job, size_t begin, size_t rows, const int32_t* sums) const;

  size_t dimension_;
  size_t stride_;       // code bytes per row: dimension_ rounded up to 64
  FlatVectors floats_;  // ids and float rows; codes_ and scales_ follow its rows
  std::vector<uint8_t, CacheLineAllocator<uint8_t>> codes_;
  std::vector<RowScale> scales_;
  std::vector<float> centre_;    // subtracted before encoding; empty at first
  std::vector<float> residual_;  // EncodeRow's scratch row

  // Searches waiting for a scan, and the scans running. Searches hold the
  // index's read lock, so the vectors do not change while they wait.
  mutable std::mutex scan_mutex_;
  mutable std::condition_variable scan_done_;
  mutable std::vector<ScanJob*> waiting_;
  mutable size_t active_scans_ = 0;
  size_t max_scans_;
};

}  // namespace msearch::search
