// Build time, recall and query latency of msearch::search::VectorIndex.
//
// For each size in --sizes, the benchmark draws that many unit vectors of
// --dimension floats and computes the exact top 10 of --queries other unit
// vectors by brute force. Then, for each index mode in --modes, it builds a
// VectorIndex forced into that mode. It reports recall@10 against the exact
// top 10 and the latency of VectorIndex::Search alone (no catalog, no
// HTTP), from one thread and from --threads threads at once. The HNSW mode
// gives one row per ef_search in --ef-search.
//
// --data random draws from the uniform distribution on the sphere, the
// hardest case for a graph index because no neighbour is much closer than
// the rest. --data clustered draws around 1000 random centres (cosine
// about 0.6 to the centre), closer to how embeddings of real media spread.
//
// Usage: vector_bench [--sizes 100000,1000000] [--dimension 512]
//                     [--queries 200] [--modes quantized,exact,hnsw]
//                     [--ef-search 64,128,256,512] [--m 16]
//                     [--ef-construction 200] [--threads 8]
//                     [--build-threads 0] [--data random|clustered]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "common/clock.h"
#include "search/code_scores.h"
#include "search/dot_product.h"
#include "search/top_k.h"
#include "search/vector_index.h"
#include "support/machine_info.h"
#include "support/process_memory.h"

namespace msearch::bench {
namespace {

using search::SearchHit;
using search::VectorIndex;

constexpr size_t kTopK = 10;

struct Settings {
  std::vector<size_t> sizes = {100000};
  size_t dimension = 512;
  size_t queries = 200;
  std::vector<std::string> modes = {"quantized", "exact", "hnsw"};
  std::vector<size_t> ef_search = {64, 128, 256, 512};
  size_t m = 16;
  size_t ef_construction = 200;
  size_t threads = 8;
  size_t build_threads = 0;
  std::string data = "random";
  uint64_t seed = 1;
};

// Runs body(begin, end) over [0, count) split across `threads` threads.
template <typename Body>
void ParallelFor(size_t count, size_t threads, Body body) {
  threads = std::max<size_t>(1, std::min(threads, count));
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] { body(count * t / threads, count * (t + 1) / threads); });
  }
  for (std::thread& worker : workers) worker.join();
}

void Normalize(float* vector, size_t dimension) {
  double squared_norm = 0;
  for (size_t i = 0; i < dimension; ++i) squared_norm += static_cast<double>(vector[i]) * vector[i];
  double scale = 1.0 / std::sqrt(squared_norm);
  for (size_t i = 0; i < dimension; ++i) vector[i] = static_cast<float>(vector[i] * scale);
}

// Unit vectors, row-major, reproducible from `seed` for a given thread count.
std::vector<float> MakeVectors(size_t count, const Settings& settings, uint64_t seed) {
  size_t dimension = settings.dimension;
  std::vector<float> centres;
  constexpr size_t kCentres = 1000;
  if (settings.data == "clustered") {
    std::mt19937_64 generator(settings.seed * 7919);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    centres.resize(kCentres * dimension);
    for (float& value : centres) value = normal(generator);
    for (size_t c = 0; c < kCentres; ++c) Normalize(centres.data() + c * dimension, dimension);
  }
  std::vector<float> vectors(count * dimension);
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  ParallelFor(count, threads, [&](size_t begin, size_t end) {
    std::mt19937_64 generator(seed * 1000003 + begin);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<size_t> pick(0, kCentres - 1);
    // Noise of this norm relative to a unit centre gives a cosine of about
    // 0.6 between a vector and its centre.
    float noise = static_cast<float>(1.33 / std::sqrt(static_cast<double>(dimension)));
    for (size_t row = begin; row < end; ++row) {
      float* vector = vectors.data() + row * dimension;
      if (centres.empty()) {
        for (size_t i = 0; i < dimension; ++i) vector[i] = normal(generator);
      } else {
        const float* centre = centres.data() + pick(generator) * dimension;
        for (size_t i = 0; i < dimension; ++i) vector[i] = centre[i] + noise * normal(generator);
      }
      Normalize(vector, dimension);
    }
  });
  return vectors;
}

std::vector<std::vector<SearchHit>> ExactTopK(const std::vector<float>& vectors,
                                              const std::vector<float>& queries, size_t dimension,
                                              size_t threads) {
  size_t count = vectors.size() / dimension;
  size_t query_count = queries.size() / dimension;
  std::vector<std::vector<SearchHit>> truth(query_count);
  ParallelFor(query_count, threads, [&](size_t begin, size_t end) {
    for (size_t q = begin; q < end; ++q) {
      search::TopK top(kTopK);
      const float* query = queries.data() + q * dimension;
      for (size_t row = 0; row < count; ++row) {
        top.Push(static_cast<int64_t>(row + 1),
                 search::InnerProduct(query, vectors.data() + row * dimension, dimension));
      }
      truth[q] = top.TakeSorted();
    }
  });
  return truth;
}

double Percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(fraction * static_cast<double>(values.size() - 1) + 0.5);
  return values[index];
}

struct LatencyResult {
  double p50_us = 0;
  double p99_us = 0;
  double queries_per_second = 0;
  double recall = 0;
};

// Runs every query `passes` times from each of `threads` threads.
LatencyResult MeasureSearch(const VectorIndex& index, const std::vector<float>& queries,
                            const std::vector<std::vector<SearchHit>>& truth, size_t dimension,
                            size_t threads, size_t passes) {
  size_t query_count = queries.size() / dimension;
  std::vector<std::vector<double>> latencies(threads);
  std::vector<double> recall_sums(threads, 0);
  double started = MonotonicSeconds();
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (size_t pass = 0; pass < passes; ++pass) {
        for (size_t i = 0; i < query_count; ++i) {
          size_t q = (i + t * 37) % query_count;
          std::span<const float> query(queries.data() + q * dimension, dimension);
          auto begin = std::chrono::steady_clock::now();
          std::vector<SearchHit> hits = index.Search(query, kTopK);
          auto end = std::chrono::steady_clock::now();
          latencies[t].push_back(std::chrono::duration<double, std::micro>(end - begin).count());
          std::set<int64_t> found;
          for (const SearchHit& hit : hits) found.insert(hit.id);
          size_t matched = 0;
          for (const SearchHit& hit : truth[q]) matched += found.count(hit.id);
          recall_sums[t] += static_cast<double>(matched) / static_cast<double>(truth[q].size());
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  double elapsed = MonotonicSeconds() - started;
  std::vector<double> all;
  double recall_sum = 0;
  for (size_t t = 0; t < threads; ++t) {
    all.insert(all.end(), latencies[t].begin(), latencies[t].end());
    recall_sum += recall_sums[t];
  }
  LatencyResult result;
  result.p50_us = Percentile(all, 0.50);
  result.p99_us = Percentile(all, 0.99);
  result.queries_per_second = static_cast<double>(all.size()) / elapsed;
  result.recall = recall_sum / static_cast<double>(all.size());
  return result;
}

uint64_t ResidentBytes() {
  std::optional<ProcessMemory> memory = ReadProcessMemory(getpid());
  return memory ? memory->rss : 0;
}

void PrintRow(const std::string& label, const LatencyResult& one, const LatencyResult& many) {
  fmt::print("  {:>14} {:>9.4f} {:>10.0f} {:>10.0f} {:>11.0f} {:>11.0f} {:>10.0f}\n", label,
             one.recall, one.p50_us, one.p99_us, many.p50_us, many.p99_us, many.queries_per_second);
  std::fflush(stdout);
}

VectorIndex::Mode ParseMode(const std::string& name) {
  if (name == "exact") return VectorIndex::Mode::kExact;
  if (name == "quantized") return VectorIndex::Mode::kQuantized;
  return VectorIndex::Mode::kHnsw;
}

// Options under which an index of any size uses `mode`.
search::VectorIndexOptions OptionsFor(VectorIndex::Mode mode, const Settings& settings) {
  constexpr size_t kEvery = std::numeric_limits<size_t>::max();
  search::VectorIndexOptions options;
  options.exact_threshold = mode == VectorIndex::Mode::kExact ? kEvery : 0;
  options.quantized_threshold = mode == VectorIndex::Mode::kQuantized ? kEvery : 0;
  options.hnsw.m = settings.m;
  options.hnsw.ef_construction = settings.ef_construction;
  options.hnsw.threads = settings.build_threads;
  return options;
}

void RunMode(VectorIndex::Mode mode, const std::vector<int64_t>& ids,
             const std::vector<float>& vectors, const std::vector<float>& queries,
             const std::vector<std::vector<SearchHit>>& truth, const Settings& settings) {
  size_t dimension = settings.dimension;
  size_t count = ids.size();
  uint64_t resident_before = ResidentBytes();
  VectorIndex index("bench", dimension, OptionsFor(mode, settings), count);
  double started = MonotonicSeconds();
  index.Add(ids, vectors);
  double build_s = MonotonicSeconds() - started;
  uint64_t resident_after = ResidentBytes();
  VectorIndex::Stats stats = index.stats();
  fmt::print(
      "{}: build {:.1f} s ({:.0f} vectors/s), index memory {:.0f} MiB estimated, resident "
      "set grew {:.0f} MiB\n",
      search::ModeName(mode), build_s, static_cast<double>(count) / build_s,
      static_cast<double>(stats.memory_bytes) / (1 << 20),
      static_cast<double>(resident_after - resident_before) / (1 << 20));
  std::fflush(stdout);

  // Enough passes for about 1000 single-thread samples per row, fewer for
  // the slow scans.
  size_t samples = mode == VectorIndex::Mode::kHnsw ? 1000 : 200;
  size_t passes = std::max<size_t>(1, samples / settings.queries);
  std::vector<size_t> ef_values = {0};
  if (mode == VectorIndex::Mode::kHnsw) ef_values = settings.ef_search;
  for (size_t ef : ef_values) {
    std::string label(search::ModeName(mode));
    if (mode == VectorIndex::Mode::kHnsw) {
      index.set_ef_search(ef);
      label = fmt::format("hnsw ef {}", ef);
    }
    LatencyResult one = MeasureSearch(index, queries, truth, dimension, 1, passes);
    LatencyResult many = MeasureSearch(index, queries, truth, dimension, settings.threads, 1);
    PrintRow(label, one, many);
  }
}

void RunSize(size_t count, const Settings& settings) {
  size_t dimension = settings.dimension;
  fmt::print("\n{} {} vectors of {} dimensions (HNSW: M={}, ef_construction={})\n", count,
             settings.data, dimension, settings.m, settings.ef_construction);
  std::fflush(stdout);
  std::vector<float> vectors = MakeVectors(count, settings, settings.seed);
  std::vector<float> queries = MakeVectors(settings.queries, settings, settings.seed + 1);
  std::vector<int64_t> ids(count);
  for (size_t i = 0; i < count; ++i) ids[i] = static_cast<int64_t>(i + 1);

  double started = MonotonicSeconds();
  std::vector<std::vector<SearchHit>> truth =
      ExactTopK(vectors, queries, dimension, std::thread::hardware_concurrency());
  fmt::print("exact top {} of {} queries: {:.1f} s\n", kTopK, settings.queries,
             MonotonicSeconds() - started);
  fmt::print("  {:>14} {:>9} {:>10} {:>10} {:>11} {:>11} {:>10}\n", "index", "recall@10", "p50 us",
             "p99 us", fmt::format("p50 us x{}", settings.threads),
             fmt::format("p99 us x{}", settings.threads), "queries/s");
  for (const std::string& mode : settings.modes) {
    RunMode(ParseMode(mode), ids, vectors, queries, truth, settings);
  }
}

std::vector<size_t> ParseList(const std::string& text) {
  std::vector<size_t> values;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) values.push_back(std::stoull(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return values;
}

}  // namespace
}  // namespace msearch::bench

int main(int argc, char** argv) {
  using namespace msearch::bench;
  Settings settings;
  std::string sizes = "100000";
  std::string ef_search = "64,128,256,512";
  std::vector<std::string> modes = settings.modes;
  CLI::App app{"VectorIndex build time, recall@10 and search latency"};
  app.add_option("--sizes", sizes, "comma-separated vector counts");
  app.add_option("--dimension", settings.dimension, "floats per vector");
  app.add_option("--queries", settings.queries, "query vectors");
  app.add_option("--modes", modes, "index modes to measure, in order")
      ->delimiter(',')
      ->check(CLI::IsMember({"exact", "quantized", "hnsw"}));
  app.add_option("--ef-search", ef_search, "comma-separated ef_search values for hnsw");
  app.add_option("--m", settings.m, "HNSW links per element");
  app.add_option("--ef-construction", settings.ef_construction, "HNSW build candidate list");
  app.add_option("--threads", settings.threads, "threads searching at once");
  app.add_option("--build-threads", settings.build_threads, "threads building; 0 = one per CPU");
  app.add_option("--data", settings.data, "random or clustered")
      ->check(CLI::IsMember({"random", "clustered"}));
  app.add_option("--seed", settings.seed, "random seed");
  CLI11_PARSE(app, argc, argv);
  try {
    settings.sizes = ParseList(sizes);
    settings.ef_search = ParseList(ef_search);
    settings.modes = modes;
  } catch (const std::exception&) {
    fmt::print(stderr, "--sizes and --ef-search take comma-separated whole numbers\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  fmt::print("{}\ninner product kernel: {}, code score kernel: {}\n", DescribeMachine(),
             msearch::search::InnerProductKernel(), msearch::search::CodeScoreKernel());
  for (size_t count : settings.sizes) RunSize(count, settings);
  return 0;
}
