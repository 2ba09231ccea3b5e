#include "search_test_util.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

namespace msearch::search::testing {

std::vector<float> RandomUnitVectors(size_t count, size_t dimension, uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> vectors(count * dimension);
  for (size_t row = 0; row < count; ++row) {
    double squared_norm = 0;
    float* vector = vectors.data() + row * dimension;
    for (size_t i = 0; i < dimension; ++i) {
      vector[i] = normal(generator);
      squared_norm += static_cast<double>(vector[i]) * vector[i];
    }
    double scale = 1.0 / std::sqrt(squared_norm);
    for (size_t i = 0; i < dimension; ++i) vector[i] = static_cast<float>(vector[i] * scale);
  }
  return vectors;
}

std::vector<float> ClusteredUnitVectors(size_t count, size_t dimension, size_t centres,
                                        uint64_t centre_seed, uint64_t seed) {
  std::vector<float> centre_vectors = RandomUnitVectors(centres, dimension, centre_seed);
  std::mt19937_64 generator(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<size_t> pick(0, centres - 1);
  // Gaussian noise with this norm makes the cosine to the centre about 0.6.
  float noise = static_cast<float>(1.33 / std::sqrt(static_cast<double>(dimension)));
  std::vector<float> vectors(count * dimension);
  for (size_t row = 0; row < count; ++row) {
    const float* centre = centre_vectors.data() + pick(generator) * dimension;
    float* vector = vectors.data() + row * dimension;
    double squared_norm = 0;
    for (size_t i = 0; i < dimension; ++i) {
      vector[i] = centre[i] + noise * normal(generator);
      squared_norm += static_cast<double>(vector[i]) * vector[i];
    }
    double scale = 1.0 / std::sqrt(squared_norm);
    for (size_t i = 0; i < dimension; ++i) vector[i] = static_cast<float>(vector[i] * scale);
  }
  return vectors;
}

std::vector<SearchHit> ExactNearest(std::span<const float> vectors, std::span<const int64_t> ids,
                                    size_t dimension, std::span<const float> query, size_t k) {
  std::vector<SearchHit> hits;
  for (size_t row = 0; row < ids.size(); ++row) {
    double score = 0;
    for (size_t i = 0; i < dimension; ++i) {
      score += static_cast<double>(vectors[row * dimension + i]) * query[i];
    }
    hits.push_back({ids[row], static_cast<float>(score)});
  }
  std::sort(hits.begin(), hits.end(), [](const SearchHit& a, const SearchHit& b) {
    return a.score > b.score || (a.score == b.score && a.id < b.id);
  });
  if (hits.size() > k) hits.resize(k);
  return hits;
}

std::vector<int64_t> HitIds(const std::vector<SearchHit>& hits) {
  std::vector<int64_t> ids;
  for (const SearchHit& hit : hits) ids.push_back(hit.id);
  return ids;
}

double Recall(const std::vector<SearchHit>& actual, const std::vector<SearchHit>& expected) {
  if (expected.empty()) return 1.0;
  std::set<int64_t> found;
  for (const SearchHit& hit : actual) found.insert(hit.id);
  size_t matched = 0;
  for (const SearchHit& hit : expected) matched += found.count(hit.id);
  return static_cast<double>(matched) / static_cast<double>(expected.size());
}

CatalogWithVectors::CatalogWithVectors()
    : catalog_path_(dir_ / "data" / "catalog.db"),
      catalog_(catalog_path_),
      embeddings_(catalog_.database()) {
  std::filesystem::create_directories(dir_ / "media");
  directory_id_ = catalog_.AddDirectory(dir_ / "media", true, false).id;
}

int64_t CatalogWithVectors::AddFile(const std::string& name) {
  store::FileObservation observation;
  observation.directory_id = directory_id_;
  observation.path = (dir_ / "media" / name).string();
  observation.kind = "image";
  observation.size = 100;
  observation.mtime_ns = 1'000'000'000;
  observation.inode = next_inode_++;
  observation.device = 1;
  return catalog_.UpsertFile(observation).file_id;
}

std::vector<int64_t> CatalogWithVectors::StoreVectors(int64_t file_id, const std::string& space,
                                                      std::span<const float> vectors,
                                                      size_t dimension) {
  std::vector<store::NewEmbedding> embeddings;
  for (size_t row = 0; row * dimension < vectors.size(); ++row) {
    store::NewEmbedding embedding;
    embedding.vector.assign(vectors.begin() + static_cast<std::ptrdiff_t>(row * dimension),
                            vectors.begin() + static_cast<std::ptrdiff_t>((row + 1) * dimension));
    embeddings.push_back(std::move(embedding));
  }
  return embeddings_.ReplaceFileVectors(file_id, space, embeddings);
}

void CatalogWithVectors::DeleteFile(int64_t file_id) {
  std::vector<int64_t> ids = {file_id};
  catalog_.RemoveFiles(ids);
}

std::vector<float> CatalogWithVectors::VectorOf(int64_t id) {
  return embeddings_.ReadVector(id).value().vector;
}

VectorIndexOptions OptionsForcing(VectorIndex::Mode mode) {
  VectorIndexOptions options;
  constexpr size_t kEvery = std::numeric_limits<size_t>::max();
  options.exact_threshold = mode == VectorIndex::Mode::kExact ? kEvery : 0;
  options.quantized_threshold = mode == VectorIndex::Mode::kQuantized ? kEvery : 0;
  return options;
}

IndexManagerOptions CatalogWithVectors::ManagerOptions(VectorIndex::Mode mode) const {
  IndexManagerOptions options;
  options.catalog_path = catalog_path_;
  options.index_dir = index_dir();
  options.index = OptionsForcing(mode);
  options.index.hnsw.m = 8;
  options.index.hnsw.ef_construction = 64;
  options.index.hnsw.ef_search = 64;
  options.read_chunk = 50;
  return options;
}

}  // namespace msearch::search::testing
