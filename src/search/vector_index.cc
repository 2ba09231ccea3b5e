#include "search/vector_index.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/error.h"
#include "search/dot_product.h"
#include "search/flat_vectors.h"
#include "search/quantized_vectors.h"

namespace msearch::search {
namespace {

// Vectors copied per read-lock acquisition while rebuilding.
constexpr size_t kCopyChunk = 4096;

// Vectors whose squared norm is this close to 1 are kept as given.
constexpr double kUnitTolerance = 1e-4;

// Ids and unit vectors of one Add call, each id once.
struct Batch {
  std::vector<int64_t> ids;
  std::vector<float> vectors;
};

Batch PrepareBatch(std::string_view space, size_t dimension, std::span<const int64_t> ids,
                   std::span<const float> vectors) {
  if (vectors.size() != ids.size() * dimension) {
    throw Error(fmt::format(
        "adding {} ids to space '{}' needs {} floats ({} per vector), but {} were given",
        ids.size(), space, ids.size() * dimension, dimension, vectors.size()));
  }
  // Keep the last occurrence of each id, in the order given.
  std::vector<size_t> rows;
  rows.reserve(ids.size());
  std::unordered_set<int64_t> seen;
  seen.reserve(ids.size());
  for (size_t row = ids.size(); row-- > 0;) {
    if (seen.insert(ids[row]).second) rows.push_back(row);
  }
  std::reverse(rows.begin(), rows.end());

  Batch batch;
  batch.ids.reserve(rows.size());
  batch.vectors.reserve(rows.size() * dimension);
  for (size_t row : rows) {
    std::span<const float> vector = vectors.subspan(row * dimension, dimension);
    if (!AllFinite(vector)) {
      throw Error(fmt::format("the vector of id {} for space '{}' has a non-finite value", ids[row],
                              space));
    }
    double squared_norm = 0;
    for (float value : vector) squared_norm += static_cast<double>(value) * value;
    if (squared_norm == 0) {
      throw Error(fmt::format("the vector of id {} for space '{}' is all zeros", ids[row], space));
    }
    batch.ids.push_back(ids[row]);
    size_t start = batch.vectors.size();
    batch.vectors.insert(batch.vectors.end(), vector.begin(), vector.end());
    if (std::abs(squared_norm - 1.0) > kUnitTolerance) {
      NormalizeInPlace(std::span<float>(batch.vectors).subspan(start, dimension));
    }
  }
  return batch;
}

}  // namespace

std::string_view ModeName(VectorIndex::Mode mode) {
  switch (mode) {
    case VectorIndex::Mode::kExact:
      return "exact";
    case VectorIndex::Mode::kQuantized:
      return "quantized";
    case VectorIndex::Mode::kHnsw:
      return "hnsw";
  }
  return "unknown";
}

VectorIndex::VectorIndex(std::string space, size_t dimension, VectorIndexOptions options,
                         size_t expected_size)
    : space_(std::move(space)), dimension_(dimension), options_(options) {
  if (dimension_ == 0) throw Error(fmt::format("space '{}' has dimension 0", space_));
  mode_ = ModeForSize(options_, dimension_, expected_size);
  backend_ = MakeBackend(mode_, expected_size);
}

VectorIndex::VectorIndex(std::string space, size_t dimension, VectorIndexOptions options,
                         std::unique_ptr<VectorBackend> backend, Mode mode)
    : space_(std::move(space)),
      dimension_(dimension),
      options_(options),
      backend_(std::move(backend)),
      mode_(mode) {}

VectorIndex::~VectorIndex() = default;

std::unique_ptr<VectorIndex> VectorIndex::Load(std::string space, size_t dimension,
                                               VectorIndexOptions options,
                                               const std::filesystem::path& graph_file) {
  std::unique_ptr<HnswGraph> graph = HnswGraph::Load(graph_file, dimension, options.hnsw);
  return std::unique_ptr<VectorIndex>(
      new VectorIndex(std::move(space), dimension, options, std::move(graph), Mode::kHnsw));
}

void VectorIndex::Save(const std::filesystem::path& graph_file) const {
  std::shared_lock lock(mutex_);
  if (mode_ != Mode::kHnsw) {
    throw Error(fmt::format(
        "space '{}' uses {} search, which keeps no graph file; it is rebuilt from the catalog",
        space_, ModeName(mode_)));
  }
  static_cast<const HnswGraph&>(*backend_).Save(graph_file);
}

std::unique_ptr<VectorBackend> VectorIndex::MakeBackend(Mode mode, size_t expected_size) const {
  if (mode == Mode::kExact) return std::make_unique<FlatVectors>(dimension_, expected_size);
  if (mode == Mode::kQuantized) {
    return std::make_unique<QuantizedVectors>(dimension_, expected_size);
  }
  // Room for a quarter more than expected before the graph must grow.
  return std::make_unique<HnswGraph>(dimension_, options_.hnsw, expected_size + expected_size / 4);
}

void VectorIndex::Add(std::span<const int64_t> ids, std::span<const float> vectors) {
  Batch batch = PrepareBatch(space_, dimension_, ids, vectors);
  for (size_t begin = 0; begin < batch.ids.size(); begin += kWriteChunk) {
    size_t count = std::min(kWriteChunk, batch.ids.size() - begin);
    std::span<const int64_t> chunk_ids(batch.ids.data() + begin, count);
    std::span<const float> chunk_vectors(batch.vectors.data() + begin * dimension_,
                                         count * dimension_);
    std::unique_lock lock(mutex_);
    backend_->Add(chunk_ids, chunk_vectors);
    if (rebuilding_) {
      rebuild_log_.push_back({false,
                              {chunk_ids.begin(), chunk_ids.end()},
                              {chunk_vectors.begin(), chunk_vectors.end()}});
    }
  }
}

void VectorIndex::Add(int64_t id, std::span<const float> vector) {
  if (vector.size() != dimension_) {
    throw Error(fmt::format("the vector of id {} has {} elements, but space '{}' has dimension {}",
                            id, vector.size(), space_, dimension_));
  }
  Add(std::span<const int64_t>(&id, 1), vector);
}

size_t VectorIndex::Remove(std::span<const int64_t> ids) {
  std::unique_lock lock(mutex_);
  size_t removed = backend_->Remove(ids);
  if (rebuilding_) rebuild_log_.push_back({true, {ids.begin(), ids.end()}, {}});
  return removed;
}

bool VectorIndex::Contains(int64_t id) const {
  std::shared_lock lock(mutex_);
  return backend_->Contains(id);
}

size_t VectorIndex::size() const {
  std::shared_lock lock(mutex_);
  return backend_->size();
}

std::vector<int64_t> VectorIndex::Ids() const {
  std::vector<int64_t> ids;
  {
    std::shared_lock lock(mutex_);
    ids = backend_->Ids();
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<SearchHit> VectorIndex::Search(std::span<const float> query, size_t k,
                                           const IdFilter& filter, float min_score) const {
  if (query.size() != dimension_) {
    throw Error(fmt::format("the query vector has {} elements, but space '{}' has dimension {}",
                            query.size(), space_, dimension_));
  }
  std::vector<float> unit(query.begin(), query.end());
  if (!NormalizeInPlace(unit)) {
    throw Error(fmt::format(
        "the query vector for space '{}' is all zeros or has a non-finite value", space_));
  }
  TopK top(k);
  {
    std::shared_lock lock(mutex_);
    backend_->Search(unit.data(), filter, min_score, top);
  }
  return top.TakeSorted();
}

VectorIndex::Mode VectorIndex::mode() const {
  std::shared_lock lock(mutex_);
  return mode_;
}

VectorIndex::Stats VectorIndex::stats() const {
  std::shared_lock lock(mutex_);
  return {mode_, backend_->size(), backend_->deleted(), backend_->MemoryBytes()};
}

void VectorIndex::set_ef_search(size_t ef_search) {
  std::unique_lock lock(mutex_);
  options_.hnsw.ef_search = ef_search;
  if (mode_ == Mode::kHnsw) static_cast<HnswGraph&>(*backend_).set_ef_search(ef_search);
}

VectorIndex::Mode VectorIndex::ModeForSize(const VectorIndexOptions& options, size_t dimension,
                                           size_t size) {
  if (options.exact_threshold > 0 && size <= options.exact_threshold) return Mode::kExact;
  if (options.quantized_threshold > options.exact_threshold &&
      size <= options.quantized_threshold && dimension <= QuantizedVectors::kMaxDimension) {
    return Mode::kQuantized;
  }
  return Mode::kHnsw;
}

VectorIndex::Mode VectorIndex::ModeToKeep(const VectorIndexOptions& options, size_t dimension,
                                          Mode current, size_t size) {
  Mode target = ModeForSize(options, dimension, size);
  if (target >= current) return target;
  // The largest size served by a smaller mode than the current one.
  size_t lower_limit = options.exact_threshold;
  if (current == Mode::kHnsw) lower_limit = std::max(lower_limit, options.quantized_threshold);
  return size < lower_limit / 2 ? target : current;
}

std::optional<VectorIndex::Mode> VectorIndex::PendingRebuild() const {
  std::shared_lock lock(mutex_);
  size_t live = backend_->size();
  size_t deleted = backend_->deleted();
  Mode target = ModeToKeep(options_, dimension_, mode_, live);
  if (target != mode_) return target;
  if (mode_ == Mode::kHnsw && deleted >= options_.compact_min_deleted &&
      static_cast<double>(deleted) > options_.compact_deleted_fraction * (live + deleted)) {
    return Mode::kHnsw;
  }
  return std::nullopt;
}

bool VectorIndex::Maintain() {
  std::optional<Mode> target = PendingRebuild();
  if (!target) return false;
  Rebuild(*target);
  return true;
}

void VectorIndex::Rebuild(Mode mode) {
  std::lock_guard rebuild_lock(rebuild_mutex_);
  double started = MonotonicSeconds();
  std::unique_ptr<VectorBackend> fresh;
  size_t deleted_before = 0;
  {
    std::unique_lock lock(mutex_);
    rebuilding_ = true;
    rebuild_log_.clear();
    deleted_before = backend_->deleted();
    fresh = MakeBackend(mode, backend_->size());
  }
  try {
    CopyInto(*fresh);
  } catch (...) {
    EndRebuild();
    throw;
  }
  size_t size = 0;
  {
    std::unique_lock lock(mutex_);
    for (const Change& change : rebuild_log_) {
      if (change.remove) {
        fresh->Remove(change.ids);
      } else {
        fresh->Add(change.ids, change.vectors);
      }
    }
    backend_ = std::move(fresh);
    mode_ = mode;
    rebuilding_ = false;
    rebuild_log_.clear();
    size = backend_->size();
  }
  spdlog::info(
      "rebuilt the vector index of space '{}' for {} search: {} vectors, {} deleted "
      "dropped, {:.1f} s",
      space_, ModeName(mode), size, deleted_before, MonotonicSeconds() - started);
}

void VectorIndex::CopyInto(VectorBackend& target) {
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  size_t slots = 0;
  {
    std::shared_lock lock(mutex_);
    slots = backend_->slot_count();
    if (!backend_->stable_slots()) {
      // Positions move on removal, so copy everything under one lock.
      backend_->CopySlots(0, slots, ids, vectors);
      slots = 0;
    }
  }
  if (!ids.empty()) target.Add(ids, vectors);
  for (size_t begin = 0; begin < slots; begin += kCopyChunk) {
    ids.clear();
    vectors.clear();
    {
      std::shared_lock lock(mutex_);
      backend_->CopySlots(begin, begin + kCopyChunk, ids, vectors);
    }
    target.Add(ids, vectors);
  }
}

void VectorIndex::EndRebuild() {
  std::unique_lock lock(mutex_);
  rebuilding_ = false;
  rebuild_log_.clear();
}

}  // namespace msearch::search
