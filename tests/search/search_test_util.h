#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "search/index_manager.h"
#include "search/search_hit.h"
#include "search/vector_index.h"
#include "store/catalog.h"
#include "store/embedding_store.h"
#include "support/temp_dir.h"

namespace msearch::search::testing {

// `count` vectors of `dimension` floats drawn uniformly from the unit
// sphere, row-major, reproducible from `seed`.
std::vector<float> RandomUnitVectors(size_t count, size_t dimension, uint64_t seed);

// `count` unit vectors scattered around `centres` random unit centres, each
// at a cosine of about 0.6 to its centre, like embeddings of media that
// fall into topics. Calls with the same `centre_seed` share the centres;
// `seed` picks the vectors.
std::vector<float> ClusteredUnitVectors(size_t count, size_t dimension, size_t centres,
                                        uint64_t centre_seed, uint64_t seed);

// The k best of `vectors` (rows keyed by `ids`) for `query`, by brute force
// in double precision, best first with ties to the lower id.
std::vector<SearchHit> ExactNearest(std::span<const float> vectors, std::span<const int64_t> ids,
                                    size_t dimension, std::span<const float> query, size_t k);

// Index options under which every index uses `mode`, whatever its size.
VectorIndexOptions OptionsForcing(VectorIndex::Mode mode);

// The ids of `hits`, in order.
std::vector<int64_t> HitIds(const std::vector<SearchHit>& hits);

// The fraction of `expected` ids that `actual` contains.
double Recall(const std::vector<SearchHit>& actual, const std::vector<SearchHit>& expected);

// A catalog with one watched directory in a temporary folder, for tests
// that store vectors for files.
class CatalogWithVectors {
 public:
  CatalogWithVectors();

  // Adds a catalog entry for a file named `name` and returns its id.
  int64_t AddFile(const std::string& name);
  // Replaces the vectors of `space` of the file; returns the new ids.
  std::vector<int64_t> StoreVectors(int64_t file_id, const std::string& space,
                                    std::span<const float> vectors, size_t dimension);
  void DeleteFile(int64_t file_id);
  // The vector of an embedding as stored.
  std::vector<float> VectorOf(int64_t id);

  // Options for a manager over this catalog whose indexes all use `mode`,
  // saving into index_dir().
  IndexManagerOptions ManagerOptions(VectorIndex::Mode mode) const;

  const std::filesystem::path& catalog_path() const { return catalog_path_; }
  std::filesystem::path index_dir() const { return dir_ / "index"; }
  store::Catalog& catalog() { return catalog_; }
  store::EmbeddingStore& embeddings() { return embeddings_; }

 private:
  msearch::testing::TempDir dir_;
  std::filesystem::path catalog_path_;
  store::Catalog catalog_;
  store::EmbeddingStore embeddings_;
  int64_t directory_id_ = 0;
  uint64_t next_inode_ = 1;
};

}  // namespace msearch::search::testing
