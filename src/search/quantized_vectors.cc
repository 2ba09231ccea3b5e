#include "search/quantized_vectors.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <limits>
#include <thread>

#include <fmt/format.h>

#include "common/error.h"
#include "search/code_scores.h"
#include "search/dot_product.h"

namespace msearch::search {
namespace {

// Codes are stored with this offset added, so they are unsigned bytes, as
// the VNNI instruction wants, and 128 is zero.
constexpr int kCodeOffset = 128;
constexpr float kCodeMax = 127;

// Rows scored per kernel call: their codes (128 KiB at 512 dimensions) stay
// in the L2 cache while the estimates are read.
constexpr size_t kBlockRows = 256;

// Added to the error bound for the rounding of the float arithmetic that
// computes the estimate.
constexpr float kRoundingSlack = 1e-5f;

size_t RoundUpToAlignment(size_t dimension) {
  return (dimension + kCodeAlignment - 1) / kCodeAlignment * kCodeAlignment;
}

}  // namespace

QuantizedVectors::QuantizedVectors(size_t dimension, size_t expected_size)
    : dimension_(dimension),
      stride_(RoundUpToAlignment(dimension)),
      floats_(dimension, expected_size),
      residual_(dimension),
      max_scans_(std::max(1u, std::thread::hardware_concurrency())) {
  if (dimension_ > kMaxDimension) {
    throw Error(
        fmt::format("vectors of dimension {} are too long for 8-bit codes (at most {}): their sums "
                    "would overflow; use exact or HNSW search for them",
                    dimension_, kMaxDimension));
  }
  codes_.reserve(expected_size * stride_);
  scales_.reserve(expected_size);
}

size_t QuantizedVectors::rescore_count(size_t k) {
  if (k > std::numeric_limits<size_t>::max() / kRescoreFactor) return k;
  return std::max(k * kRescoreFactor, kMinRescore);
}

void QuantizedVectors::EncodeRow(size_t row) {
  // The codes hold the vector minus the centre, once there is one.
  float* residual = residual_.data();
  const float* vector = floats_.RowData(row);
  for (size_t i = 0; i < dimension_; ++i) {
    residual[i] = centre_.empty() ? vector[i] : vector[i] - centre_[i];
  }
  float max_abs = 0;
  float abs_sum = 0;
  for (size_t i = 0; i < dimension_; ++i) {
    max_abs = std::max(max_abs, std::abs(residual[i]));
    abs_sum += std::abs(residual[i]);
  }
  float scale = max_abs / kCodeMax;
  uint8_t* code = codes_.data() + row * stride_;
  std::fill(code, code + stride_, static_cast<uint8_t>(kCodeOffset));
  if (scale > 0) {
    // Rounds half away from zero, in a loop the compiler vectorises.
    const float inverse = 1.0f / scale;
    for (size_t i = 0; i < dimension_; ++i) {
      float level = std::clamp(residual[i] * inverse, -kCodeMax, kCodeMax);
      int rounded = static_cast<int>(level + std::copysign(0.5f, level));
      code[i] = static_cast<uint8_t>(rounded + kCodeOffset);
    }
  }
  scales_[row] = {scale, abs_sum};
}

void QuantizedVectors::Add(std::span<const int64_t> ids, std::span<const float> vectors) {
  floats_.Add(ids, vectors);
  codes_.resize(floats_.size() * stride_);
  scales_.resize(floats_.size());
  for (int64_t id : ids) EncodeRow(*floats_.RowOf(id));
  if (centre_.empty() && floats_.size() >= kCentreSample) SetCentre();
}

void QuantizedVectors::SetCentre() {
  const size_t count = floats_.size();
  std::vector<double> sum(dimension_, 0.0);
  for (size_t row = 0; row < count; ++row) {
    const float* vector = floats_.RowData(row);
    for (size_t i = 0; i < dimension_; ++i) sum[i] += vector[i];
  }
  centre_.resize(dimension_);
  for (size_t i = 0; i < dimension_; ++i) {
    centre_[i] = static_cast<float>(sum[i] / static_cast<double>(count));
  }
  for (size_t row = 0; row < count; ++row) EncodeRow(row);
}

size_t QuantizedVectors::Remove(std::span<const int64_t> ids) {
  size_t removed = 0;
  for (int64_t id : ids) {
    std::optional<size_t> row = floats_.RowOf(id);
    if (!row) continue;
    // FlatVectors moves its last row into the gap, and the codes follow it.
    size_t last = floats_.size() - 1;
    floats_.Remove(std::span<const int64_t>(&id, 1));
    if (*row != last) {
      std::copy_n(codes_.begin() + last * stride_, stride_, codes_.begin() + *row * stride_);
      scales_[*row] = scales_[last];
    }
    codes_.resize(last * stride_);
    scales_.pop_back();
    ++removed;
  }
  return removed;
}

// One search's part in a scan: its quantised query and its candidates.
struct QuantizedVectors::ScanJob {
  ScanJob(size_t stride, size_t candidate_count) : codes(stride, 0), best(candidate_count) {}

  std::vector<int8_t> codes;  // the query's codes, padded with zeros
  float scale = 0;            // query code step
  float abs_sum = 0;          // L1 norm of the query
  int32_t offset = 0;         // what the +128 of the stored codes adds to each sum
  float cross_term = 0;       // 3/4 x dimension x scale, for the error bound
  float centre_score = 0;     // the query's inner product with the centre
  const IdFilter* filter = nullptr;
  float min_score = kNoMinScore;
  TopK best;                 // candidates by estimate, keyed by row
  std::exception_ptr error;  // thrown by the filter, rethrown to its search
  bool queued = false;       // in waiting_, not yet taken into a scan
  bool done = false;
};

void QuantizedVectors::Search(const float* query, const IdFilter& filter, float min_score,
                              TopK& top) const {
  const size_t count = floats_.size();
  if (count == 0 || top.k() == 0) return;
  const size_t candidates = rescore_count(top.k());
  float max_abs = 0;
  float query_abs_sum = 0;
  for (size_t i = 0; i < dimension_; ++i) {
    max_abs = std::max(max_abs, std::abs(query[i]));
    query_abs_sum += std::abs(query[i]);
  }
  if (candidates >= count || max_abs == 0) {
    floats_.Search(query, filter, min_score, top);
    return;
  }

  ScanJob job(stride_, candidates);
  job.scale = max_abs / kCodeMax;
  job.abs_sum = query_abs_sum;
  int64_t code_sum = 0;
  for (size_t i = 0; i < dimension_; ++i) {
    float level = std::clamp(std::nearbyint(query[i] / job.scale), -kCodeMax, kCodeMax);
    job.codes[i] = static_cast<int8_t>(level);
    code_sum += job.codes[i];
  }
  job.offset = static_cast<int32_t>(kCodeOffset * code_sum);
  job.cross_term = 0.75f * static_cast<float>(dimension_) * job.scale;
  if (!centre_.empty()) job.centre_score = InnerProduct(query, centre_.data(), dimension_);
  job.filter = filter ? &filter : nullptr;
  job.min_score = min_score;
  ScanTogether(job);
  if (job.error) std::rethrow_exception(job.error);

  for (const SearchHit& candidate : job.best.TakeSorted()) {
    size_t row = static_cast<size_t>(candidate.id);
    float score = InnerProduct(query, floats_.RowData(row), dimension_);
    if (score >= min_score) top.Push(floats_.IdAt(row), score);
  }
}

void QuantizedVectors::ScanTogether(ScanJob& job) const {
  std::unique_lock lock(scan_mutex_);
  waiting_.push_back(&job);
  job.queued = true;
  while (!job.done) {
    // A job already taken into another search's scan waits for that scan,
    // and a queued one waits for a free CPU.
    if (!job.queued || active_scans_ >= max_scans_) {
      scan_done_.wait(lock);
      continue;
    }
    // Lead a scan for the searches that have waited longest.
    std::array<ScanJob*, kMaxScanBatch> batch;
    size_t batch_size = std::min(waiting_.size(), kMaxScanBatch);
    std::copy_n(waiting_.begin(), batch_size, batch.begin());
    waiting_.erase(waiting_.begin(), waiting_.begin() + batch_size);
    for (size_t i = 0; i < batch_size; ++i) batch[i]->queued = false;
    ++active_scans_;
    lock.unlock();
    ScanBlocks(std::span<ScanJob* const>(batch.data(), batch_size));
    lock.lock();
    for (size_t i = 0; i < batch_size; ++i) batch[i]->done = true;
    --active_scans_;
    scan_done_.notify_all();
  }
}

void QuantizedVectors::ScanBlocks(std::span<ScanJob* const> jobs) const {
  const size_t count = floats_.size();
  std::array<int32_t, kBlockRows> sums;
  for (size_t begin = 0; begin < count; begin += kBlockRows) {
    const size_t rows = std::min(kBlockRows, count - begin);
    // The block's codes come from memory once and stay in the cache for the
    // other searches of the batch.
    for (ScanJob* job : jobs) {
      if (job->error) continue;
      ScoreCodes(codes_.data() + begin * stride_, rows, stride_, job->codes.data(), sums.data());
      try {
        OfferBlock(*job, begin, rows, sums.data());
      } catch (...) {
        job->error = std::current_exception();
      }
    }
  }
}

void QuantizedVectors::OfferBlock(ScanJob& job, size_t begin, size_t rows,
                                  const int32_t* sums) const {
  std::array<float, kBlockRows> estimates;
  const RowScale* row_scales = scales_.data() + begin;
  for (size_t j = 0; j < rows; ++j) {
    estimates[j] = job.scale * row_scales[j].scale * static_cast<float>(sums[j] - job.offset) +
                   job.centre_score;
  }
  // The codes cx hold x minus the centre m. With q = sq * cq + eq and
  // x - m = sx * cx + ex, where each element of eq is at most sq / 2 and of
  // ex at most sx / 2, the estimate sq * sx * cq.cx + q.m differs from q.x
  // by at most (sx |q|1 + sq |x - m|1) / 2 + 3/4 * n * sq * sx.
  const bool bounded = job.min_score > kNoMinScore;
  // Most rows cannot enter the candidates, and one comparison rejects them.
  float cutoff = job.best.full() ? job.best.worst_score() : kNoMinScore;
  for (size_t j = 0; j < rows; ++j) {
    if (estimates[j] < cutoff) continue;
    const size_t row = begin + j;
    if (bounded) {
      const RowScale& row_scale = row_scales[j];
      float error = 0.5f * (row_scale.scale * job.abs_sum + job.scale * row_scale.abs_sum) +
                    job.cross_term * row_scale.scale + kRoundingSlack;
      if (estimates[j] + error < job.min_score) continue;
    }
    if (!job.best.Admits(static_cast<int64_t>(row), estimates[j])) continue;
    if (job.filter && !(*job.filter)(floats_.IdAt(row))) continue;
    job.best.Push(static_cast<int64_t>(row), estimates[j]);
    if (job.best.full()) cutoff = job.best.worst_score();
  }
}

size_t QuantizedVectors::MemoryBytes() const {
  return floats_.MemoryBytes() + codes_.capacity() + scales_.capacity() * sizeof(RowScale) +
         (centre_.capacity() + residual_.capacity()) * sizeof(float);
}

}  // namespace msearch::search
