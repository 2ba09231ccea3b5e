#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "search/vector_backend.h"

namespace hnswlib {
template <typename T>
class HierarchicalNSW;
}  // namespace hnswlib

namespace msearch::search {

// Parameters of an HNSW (hierarchical navigable small world) graph, as
// implemented by hnswlib 0.6. Larger m and ef_construction give a better
// graph and cost build time and memory. ef_search trades query time for
// recall.
// NOTE: the defaults reach recall@10 of at least 0.99 on clustered 512-d
// vectors (20k and 100k, vector_bench --data clustered). They do not on
// uniformly random 512-d vectors. At 100k, ef_search 128 gives 0.12, and
// only 8192 gives 0.99, which is slower than an exact scan. Recall on real
// embeddings is not measured yet.
struct HnswParams {
  size_t m = 16;                 // links per element above layer 0 (2 * m on layer 0)
  size_t ef_construction = 200;  // candidate list length while inserting
  size_t ef_search = 128;        // candidate list length while searching, at least k
  size_t threads = 0;            // threads for adding large batches; 0 = one per CPU
  uint64_t random_seed = 100;    // seeds the choice of each element's top layer
};

// Approximate search over an hnswlib graph with inner-product distance
// (1 - dot product) on unit vectors. Removal marks elements deleted; they
// keep their memory and still route searches until the graph is rebuilt
// without them (VectorIndex::Rebuild). Searches with a filter or a minimum
// score ask the graph for more candidates until k pass, and scan every
// vector once more than kMaxGraphCandidates would be needed.
class HnswGraph final : public VectorBackend {
 public:
  static constexpr size_t kMaxGraphCandidates = 8192;

  HnswGraph(size_t dimension, const HnswParams& params, size_t capacity);
  ~HnswGraph() override;

  // Loads a graph written by Save. Throws Error naming `path` when the file
  // cannot be read, is truncated, or was built for another dimension or
  // other m or ef_construction than `params`. It also throws when the graph
  // fails the structural checks (neighbour ids in range, unique labels), so
  // a damaged file is never searched.
  static std::unique_ptr<HnswGraph> Load(const std::filesystem::path& path, size_t dimension,
                                         const HnswParams& params);
  // Writes the graph to `path` in hnswlib's format and checks the size of
  // the written file. Throws Error when the file is short (disk full) or
  // cannot be written.
  void Save(const std::filesystem::path& path) const;

  void set_ef_search(size_t ef_search);
  const HnswParams& params() const { return params_; }
  size_t capacity() const;

  void Add(std::span<const int64_t> ids, std::span<const float> vectors) override;
  size_t Remove(std::span<const int64_t> ids) override;
  bool Contains(int64_t id) const override;
  size_t size() const override;
  size_t deleted() const override;
  std::vector<int64_t> Ids() const override;
  void Search(const float* query, const IdFilter& filter, float min_score,
              TopK& top) const override;
  size_t MemoryBytes() const override;
  size_t slot_count() const override;
  bool stable_slots() const override { return true; }
  void CopySlots(size_t begin, size_t end, std::vector<int64_t>& ids,
                 std::vector<float>& vectors) const override;

 private:
  class Space;
  using Graph = hnswlib::HierarchicalNSW<float>;

  HnswGraph(size_t dimension, const HnswParams& params);
  void Reserve(size_t elements);
  void AddInParallel(std::span<const int64_t> ids, std::span<const float> vectors,
                     std::span<const size_t> rows);
  void ScanAll(const float* query, const IdFilter& filter, float min_score, TopK& top) const;
  // Throws Error naming `path` when the loaded graph is inconsistent.
  void Validate(const std::filesystem::path& path) const;

  size_t dimension_;
  HnswParams params_;
  std::unique_ptr<Space> space_;
  std::unique_ptr<Graph> graph_;
};

}  // namespace msearch::search
