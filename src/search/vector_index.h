#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "search/hnsw_graph.h"
#include "search/search_hit.h"
#include "search/vector_backend.h"
#include "search/writer_preferring_mutex.h"

namespace msearch::search {

struct VectorIndexOptions {
  // Up to this many vectors, searches score every vector in float (exact
  // and, at this size, fast). 0: never.
  size_t exact_threshold = 20000;
  // Above exact_threshold and up to this many vectors, searches scan 8-bit
  // codes of every vector and rescore the best exactly (QuantizedVectors).
  // Recall@10 measured 1.0 on random 512-d vectors, and a scan of a million
  // of them takes about 20 ms on one core of the benchmark machine. Above
  // this size, searches use an HNSW graph: much faster on real embeddings,
  // but approximate. At most exact_threshold: never.
  size_t quantized_threshold = 2'000'000;
  HnswParams hnsw;
  // An HNSW graph is rebuilt without its deleted elements once they are
  // more than this fraction of its elements and at least
  // compact_min_deleted, because deleted elements keep their memory and
  // lengthen searches.
  double compact_deleted_fraction = 0.25;
  size_t compact_min_deleted = 1000;
};

// Nearest-neighbour search by inner product over the unit vectors of one
// embedding space, keyed by embedding id. Exact up to
// options.exact_threshold vectors, a quantised scan up to
// options.quantized_threshold, HNSW above it. Maintain() switches between
// them and compacts the graph.
//
// Thread-safe: any number of threads may search at once while others add
// or remove. Searches share a read lock. Writes take the write lock for at
// most kWriteChunk vectors at a time, so a large Add delays searches only
// briefly. A waiting write goes before searches that arrive after it.
// A rebuild copies the vectors and builds the new structure while searches
// and writes continue on the old one. It then replays the writes made
// meanwhile onto the new structure before that replaces the old one.
class VectorIndex {
 public:
  // In order of the index sizes they serve.
  enum class Mode { kExact, kQuantized, kHnsw };

  struct Stats {
    Mode mode = Mode::kExact;
    size_t size = 0;          // vectors searches can return
    size_t deleted = 0;       // removed vectors still held by the HNSW graph
    size_t memory_bytes = 0;  // estimated heap bytes, growth capacity included
  };

  static constexpr size_t kWriteChunk = 2048;

  // An empty index, in the mode for `expected_size` vectors, so that a bulk
  // load builds the right structure directly.
  VectorIndex(std::string space, size_t dimension, VectorIndexOptions options,
              size_t expected_size = 0);
  ~VectorIndex();

  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  // Loads an HNSW graph that Save wrote. Throws Error when the file is
  // missing, damaged or was built for another dimension or other HNSW
  // parameters (see HnswGraph::Load).
  static std::unique_ptr<VectorIndex> Load(std::string space, size_t dimension,
                                           VectorIndexOptions options,
                                           const std::filesystem::path& graph_file);
  // Writes the HNSW graph to `graph_file`. Throws Error in the scanning
  // modes, which have no file (they are rebuilt from the catalog), or when
  // writing fails.
  // Writes wait while the graph is written; searches continue.
  void Save(const std::filesystem::path& graph_file) const;

  const std::string& space() const { return space_; }
  size_t dimension() const { return dimension_; }

  // Adds vectors or replaces the vectors of ids already present. `vectors`
  // contains ids.size() rows of dimension() floats, row-major; each is scaled
  // to unit length. When an id repeats, its last vector wins. Throws Error,
  // adding nothing, when the sizes do not match or a vector is all zeros or
  // not finite.
  void Add(std::span<const int64_t> ids, std::span<const float> vectors);
  void Add(int64_t id, std::span<const float> vector);
  // Removes the ids present; returns how many there were. Removed ids are
  // never returned by a search that starts after Remove returns.
  size_t Remove(std::span<const int64_t> ids);

  bool Contains(int64_t id) const;
  size_t size() const;
  // Ids present, ascending.
  std::vector<int64_t> Ids() const;

  // Returns up to k hits, best first (ties by lower id), each passing
  // `filter` when it is set and scoring at least `min_score`. The query is
  // scaled to unit length first. Throws Error when its length is not
  // dimension() or it is all zeros or not finite. In the quantised and HNSW
  // modes the hits are approximate: a true neighbour may be missing (see
  // the benchmarks for the recall of the default parameters).
  std::vector<SearchHit> Search(std::span<const float> query, size_t k, const IdFilter& filter = {},
                                float min_score = kNoMinScore) const;

  Mode mode() const;
  Stats stats() const;
  void set_ef_search(size_t ef_search);

  // Returns the mode that `options` call for at `size` vectors of
  // `dimension` floats.
  static Mode ModeForSize(const VectorIndexOptions& options, size_t dimension, size_t size);
  // Returns the mode an index in mode `current` should have at `size`
  // vectors: ModeForSize when that is a larger mode, a smaller one only
  // below half the threshold of `current` (see PendingRebuild).
  static Mode ModeToKeep(const VectorIndexOptions& options, size_t dimension, Mode current,
                         size_t size);
  // Returns the rebuild that options call for now, if any. A space moves
  // to a larger mode as soon as its size calls for it. It moves to a smaller
  // one only below half the threshold of its current mode, so that an index
  // near a threshold is not rebuilt back and forth. An HNSW graph with many
  // deleted elements is compacted.
  std::optional<Mode> PendingRebuild() const;
  // Runs PendingRebuild() when there is one; returns whether it did.
  bool Maintain();
  // Rebuilds the index in `mode` from its current vectors, dropping the
  // deleted elements of an HNSW graph. One rebuild runs at a time; others
  // wait. Holds both structures in memory until it finishes.
  void Rebuild(Mode mode);

 private:
  struct Change {
    bool remove = false;
    std::vector<int64_t> ids;
    std::vector<float> vectors;
  };

  VectorIndex(std::string space, size_t dimension, VectorIndexOptions options,
              std::unique_ptr<VectorBackend> backend, Mode mode);
  std::unique_ptr<VectorBackend> MakeBackend(Mode mode, size_t expected_size) const;
  void CopyInto(VectorBackend& target);
  void EndRebuild();

  const std::string space_;
  const size_t dimension_;
  VectorIndexOptions options_;

  mutable WriterPreferringMutex mutex_;  // guards everything below
  std::unique_ptr<VectorBackend> backend_;
  Mode mode_;
  bool rebuilding_ = false;
  std::vector<Change> rebuild_log_;  // writes made while rebuilding_

  std::mutex rebuild_mutex_;  // one rebuild at a time
};

std::string_view ModeName(VectorIndex::Mode mode);

}  // namespace msearch::search
