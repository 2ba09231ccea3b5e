#include "search/hnsw_graph.h"

// hnswlib 0.6 relies on these being included before it.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <fstream>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <hnswlib/hnswlib.h>

#include "common/error.h"
#include "search/dot_product.h"

namespace msearch::search {
namespace {

// Batches smaller than this are added on the calling thread: starting
// threads costs more than it saves.
constexpr size_t kParallelAddMin = 256;

// The fixed-size header hnswlib 0.6 writes before the elements, in order.
struct FileHeader {
  size_t offset_level0 = 0;
  size_t max_elements = 0;
  size_t element_count = 0;
  size_t element_bytes = 0;  // level-0 links, vector and label of one element
  size_t label_offset = 0;
  size_t data_offset = 0;
  int max_level = 0;
  unsigned int entry_point = 0;
  size_t max_m = 0;
  size_t max_m0 = 0;
  size_t m = 0;
  double level_multiplier = 0;
  size_t ef_construction = 0;
};

constexpr size_t kHeaderBytes = 6 * sizeof(size_t) + sizeof(int) + sizeof(unsigned int) +
                                3 * sizeof(size_t) + sizeof(double) + sizeof(size_t);

template <typename T>
void ReadField(std::istream& in, T& value) {
  in.read(reinterpret_cast<char*>(&value), sizeof(value));
}

FileHeader ReadHeader(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot open the vector index file '{}'", path.string()));
  FileHeader header;
  ReadField(in, header.offset_level0);
  ReadField(in, header.max_elements);
  ReadField(in, header.element_count);
  ReadField(in, header.element_bytes);
  ReadField(in, header.label_offset);
  ReadField(in, header.data_offset);
  ReadField(in, header.max_level);
  ReadField(in, header.entry_point);
  ReadField(in, header.max_m);
  ReadField(in, header.max_m0);
  ReadField(in, header.m);
  ReadField(in, header.level_multiplier);
  ReadField(in, header.ef_construction);
  if (!in) {
    throw Error(
        fmt::format("the vector index file '{}' is shorter than its header", path.string()));
  }
  return header;
}

// Checks the header against the expected layout before hnswlib allocates
// memory from its values.
void CheckHeader(const FileHeader& header, const std::filesystem::path& path, size_t dimension,
                 const HnswParams& params) {
  auto fail = [&](std::string_view what) {
    throw Error(fmt::format("the vector index file '{}' is invalid: {}", path.string(), what));
  };
  if (header.m != params.m || header.ef_construction != params.ef_construction) {
    fail(
        fmt::format("it was built with M={} and ef_construction={}, but the options ask for M={} "
                    "and ef_construction={}",
                    header.m, header.ef_construction, params.m, params.ef_construction));
  }
  if (header.max_m != header.m || header.max_m0 != 2 * header.m || header.offset_level0 != 0) {
    fail("the link counts in the header are inconsistent");
  }
  size_t links0 = header.max_m0 * sizeof(hnswlib::tableint) + sizeof(hnswlib::linklistsizeint);
  if (header.data_offset != links0 || header.label_offset != links0 + dimension * sizeof(float) ||
      header.element_bytes != header.label_offset + sizeof(hnswlib::labeltype)) {
    fail(fmt::format("its element layout does not match vectors of {} dimensions", dimension));
  }
  std::error_code error;
  uintmax_t file_bytes = std::filesystem::file_size(path, error);
  if (error) fail(error.message());
  if (file_bytes < kHeaderBytes ||
      header.element_count > (file_bytes - kHeaderBytes) / header.element_bytes ||
      header.element_count > std::numeric_limits<hnswlib::tableint>::max()) {
    fail(fmt::format("it claims {} elements but has only {} bytes", header.element_count,
                     file_bytes));
  }
  if (header.element_count > 0 &&
      (header.entry_point >= header.element_count || header.max_level < 0 ||
       header.max_level > 64 || !(header.level_multiplier > 0))) {
    fail("its entry point or level values are out of range");
  }
}

}  // namespace

// Inner-product distance for hnswlib, using the dispatched kernel.
class HnswGraph::Space final : public hnswlib::SpaceInterface<float> {
 public:
  explicit Space(size_t dimension) : dimension_(dimension) {}
  size_t get_data_size() override { return dimension_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return &Distance; }
  void* get_dist_func_param() override { return &dimension_; }

 private:
  static float Distance(const void* a, const void* b, const void* dimension) {
    return 1.0f - InnerProduct(static_cast<const float*>(a), static_cast<const float*>(b),
                               *static_cast<const size_t*>(dimension));
  }

  size_t dimension_;
};

HnswGraph::HnswGraph(size_t dimension, const HnswParams& params)
    : dimension_(dimension), params_(params), space_(std::make_unique<Space>(dimension)) {}

HnswGraph::HnswGraph(size_t dimension, const HnswParams& params, size_t capacity)
    : HnswGraph(dimension, params) {
  graph_ = std::make_unique<Graph>(space_.get(), std::max<size_t>(capacity, 1), params.m,
                                   params.ef_construction, params.random_seed);
  graph_->setEf(params.ef_search);
}

HnswGraph::~HnswGraph() = default;

std::unique_ptr<HnswGraph> HnswGraph::Load(const std::filesystem::path& path, size_t dimension,
                                           const HnswParams& params) {
  FileHeader header = ReadHeader(path);
  CheckHeader(header, path, dimension, params);
  std::unique_ptr<HnswGraph> loaded(new HnswGraph(dimension, params));
  try {
    // Capacity is the stored element count, not the header's max_elements,
    // so the allocation never exceeds what the file holds.
    loaded->graph_ = std::make_unique<Graph>(loaded->space_.get(), path.string(), false,
                                             std::max<size_t>(header.element_count, 1));
  } catch (const std::exception& e) {
    // NOTE: hnswlib 0.6 leaks the buffers of a load that throws midway.
    throw Error(fmt::format("cannot load the vector index file '{}': {}", path.string(), e.what()));
  }
  // hnswlib 0.6 counts deleted elements onto an uninitialised num_deleted_
  // when loading, so count them again.
  Graph& graph = *loaded->graph_;
  graph.num_deleted_ = 0;
  for (size_t i = 0; i < graph.cur_element_count; ++i) {
    if (graph.isMarkedDeleted(static_cast<hnswlib::tableint>(i))) ++graph.num_deleted_;
  }
  loaded->Validate(path);
  graph.setEf(params.ef_search);
  return loaded;
}

void HnswGraph::Validate(const std::filesystem::path& path) const {
  const Graph& graph = *graph_;
  auto fail = [&](std::string_view what) {
    throw Error(fmt::format("the vector index file '{}' is damaged: {}", path.string(), what));
  };
  size_t count = graph.cur_element_count;
  if (graph.label_lookup_.size() != count) fail("two elements have the same id");
  for (size_t i = 0; i < count; ++i) {
    auto element = static_cast<hnswlib::tableint>(i);
    int levels = graph.element_levels_[i];
    if (levels < 0 || levels > graph.maxlevel_) {
      fail(fmt::format("element {} has level {}", i, levels));
    }
    for (int level = 0; level <= levels; ++level) {
      hnswlib::linklistsizeint* links =
          level == 0 ? graph.get_linklist0(element) : graph.get_linklist(element, level);
      size_t size = graph.getListCount(links);
      if (size > (level == 0 ? graph.maxM0_ : graph.maxM_)) {
        fail(fmt::format("element {} has {} links on level {}", i, size, level));
      }
      const hnswlib::tableint* neighbours = links + 1;
      for (size_t j = 0; j < size; ++j) {
        if (neighbours[j] >= count || graph.element_levels_[neighbours[j]] < level) {
          fail(fmt::format("element {} links to missing element {} on level {}", i, neighbours[j],
                           level));
        }
      }
    }
  }
  if (count > 0 && graph.element_levels_[graph.enterpoint_node_] != graph.maxlevel_) {
    fail("the entry point is not on the top level");
  }
}

void HnswGraph::Save(const std::filesystem::path& path) const {
  const Graph& graph = *graph_;
  // saveIndex reports no write errors, so compare the file with the size
  // its contents need.
  uintmax_t expected = kHeaderBytes + graph.cur_element_count * graph.size_data_per_element_;
  for (size_t i = 0; i < graph.cur_element_count; ++i) {
    expected += sizeof(unsigned int) +
                static_cast<size_t>(graph.element_levels_[i]) * graph.size_links_per_element_;
  }
  try {
    graph_->saveIndex(path.string());
  } catch (const std::exception& e) {
    throw Error(
        fmt::format("cannot write the vector index file '{}': {}", path.string(), e.what()));
  }
  std::error_code error;
  uintmax_t written = std::filesystem::file_size(path, error);
  if (error || written != expected) {
    throw Error(fmt::format(
        "writing the vector index file '{}' produced {} bytes instead of {}; check free disk "
        "space and permissions",
        path.string(), error ? 0 : written, expected));
  }
}

void HnswGraph::set_ef_search(size_t ef_search) {
  params_.ef_search = ef_search;
  graph_->setEf(ef_search);
}

size_t HnswGraph::capacity() const { return graph_->max_elements_; }

void HnswGraph::Reserve(size_t elements) {
  if (elements <= graph_->max_elements_) return;
  // Grow by half at least, so that adding one vector at a time does not
  // copy the whole graph each time.
  size_t grown = std::max(elements, graph_->max_elements_ + graph_->max_elements_ / 2);
  graph_->resizeIndex(std::max<size_t>(grown, 1024));
}

void HnswGraph::Add(std::span<const int64_t> ids, std::span<const float> vectors) {
  std::vector<size_t> new_rows;
  new_rows.reserve(ids.size());
  for (size_t row = 0; row < ids.size(); ++row) {
    auto label = static_cast<hnswlib::labeltype>(ids[row]);
    if (graph_->label_lookup_.contains(label)) {
      // hnswlib replaces the vector of an existing label in place (and
      // clears its deleted mark). Replacements run one at a time because
      // they share a random number generator.
      graph_->addPoint(vectors.data() + row * dimension_, label);
    } else {
      new_rows.push_back(row);
    }
  }
  Reserve(graph_->cur_element_count + new_rows.size());
  AddInParallel(ids, vectors, new_rows);
}

void HnswGraph::AddInParallel(std::span<const int64_t> ids, std::span<const float> vectors,
                              std::span<const size_t> rows) {
  size_t threads = params_.threads != 0 ? params_.threads : std::thread::hardware_concurrency();
  threads = std::clamp<size_t>(rows.size() / kParallelAddMin, 1, std::max<size_t>(threads, 1));
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    try {
      for (size_t i = next++; i < rows.size(); i = next++) {
        size_t row = rows[i];
        graph_->addPoint(vectors.data() + row * dimension_,
                         static_cast<hnswlib::labeltype>(ids[row]));
      }
    } catch (...) {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = rows.size();
    }
  };
  std::vector<std::thread> workers;
  for (size_t t = 1; t < threads; ++t) workers.emplace_back(work);
  work();
  for (std::thread& worker : workers) worker.join();
  if (failure) std::rethrow_exception(failure);
}

size_t HnswGraph::Remove(std::span<const int64_t> ids) {
  size_t removed = 0;
  for (int64_t id : ids) {
    auto found = graph_->label_lookup_.find(static_cast<hnswlib::labeltype>(id));
    if (found == graph_->label_lookup_.end() || graph_->isMarkedDeleted(found->second)) continue;
    graph_->markDeletedInternal(found->second);
    ++removed;
  }
  return removed;
}

bool HnswGraph::Contains(int64_t id) const {
  auto found = graph_->label_lookup_.find(static_cast<hnswlib::labeltype>(id));
  return found != graph_->label_lookup_.end() && !graph_->isMarkedDeleted(found->second);
}

size_t HnswGraph::size() const { return graph_->cur_element_count - graph_->num_deleted_; }

size_t HnswGraph::deleted() const { return graph_->num_deleted_; }

std::vector<int64_t> HnswGraph::Ids() const {
  std::vector<int64_t> ids;
  ids.reserve(size());
  for (const auto& [label, element] : graph_->label_lookup_) {
    if (!graph_->isMarkedDeleted(element)) ids.push_back(static_cast<int64_t>(label));
  }
  return ids;
}

void HnswGraph::Search(const float* query, const IdFilter& filter, float min_score,
                       TopK& top) const {
  size_t live = size();
  if (top.k() == 0 || live == 0) return;
  size_t fetch = std::min(top.k(), live);
  while (true) {
    // searchKnn returns the `fetch` nearest live elements, farthest on top,
    // using a candidate list of max(ef_search, fetch).
    auto nearest = graph_->searchKnn(query, fetch);
    size_t returned = nearest.size();
    float lowest_score = std::numeric_limits<float>::infinity();
    TopK round(top.k());
    for (; !nearest.empty(); nearest.pop()) {
      float score = 1.0f - nearest.top().first;
      auto id = static_cast<int64_t>(nearest.top().second);
      lowest_score = std::min(lowest_score, score);
      if (score >= min_score && (!filter || filter(id))) round.Push(id, score);
    }
    // More candidates cannot help when k passed, the graph has no more, or
    // the candidates already fell below min_score.
    if (round.full() || returned < fetch || fetch >= live || lowest_score < min_score) {
      for (const SearchHit& hit : round.TakeSorted()) top.Push(hit.id, hit.score);
      return;
    }
    if (fetch >= kMaxGraphCandidates) break;
    fetch = std::min({fetch * 4, live, kMaxGraphCandidates});
  }
  // The filter rejects most candidates: an exact scan is cheaper than a
  // graph search with a very long candidate list.
  ScanAll(query, filter, min_score, top);
}

void HnswGraph::ScanAll(const float* query, const IdFilter& filter, float min_score,
                        TopK& top) const {
  for (size_t i = 0; i < graph_->cur_element_count; ++i) {
    auto element = static_cast<hnswlib::tableint>(i);
    if (graph_->isMarkedDeleted(element)) continue;
    auto id = static_cast<int64_t>(graph_->getExternalLabel(element));
    if (filter && !filter(id)) continue;
    float score = InnerProduct(
        query, reinterpret_cast<const float*>(graph_->getDataByInternalId(element)), dimension_);
    if (score >= min_score) top.Push(id, score);
  }
}

size_t HnswGraph::MemoryBytes() const {
  const Graph& graph = *graph_;
  size_t bytes = graph.max_elements_ * graph.size_data_per_element_;
  for (size_t i = 0; i < graph.cur_element_count; ++i) {
    if (graph.element_levels_[i] > 0) {
      bytes += static_cast<size_t>(graph.element_levels_[i]) * graph.size_links_per_element_ + 1;
    }
  }
  // Each slot has a lock, a level and an upper-layer pointer, and each label
  // a hash map node. Each search thread uses a visited list of 2 bytes per
  // slot, and one list is counted.
  bytes += graph.max_elements_ * (sizeof(std::mutex) + sizeof(int) + sizeof(char*) + 2);
  bytes += Graph::max_update_element_locks * sizeof(std::mutex);
  bytes += graph.label_lookup_.size() * (sizeof(void*) + sizeof(hnswlib::labeltype) + 8) +
           graph.label_lookup_.bucket_count() * sizeof(void*);
  return bytes;
}

size_t HnswGraph::slot_count() const { return graph_->cur_element_count; }

void HnswGraph::CopySlots(size_t begin, size_t end, std::vector<int64_t>& ids,
                          std::vector<float>& vectors) const {
  end = std::min(end, graph_->cur_element_count);
  for (size_t i = begin; i < end; ++i) {
    auto element = static_cast<hnswlib::tableint>(i);
    if (graph_->isMarkedDeleted(element)) continue;
    ids.push_back(static_cast<int64_t>(graph_->getExternalLabel(element)));
    const auto* vector = reinterpret_cast<const float*>(graph_->getDataByInternalId(element));
    vectors.insert(vectors.end(), vector, vector + dimension_);
  }
}

}  // namespace msearch::search
