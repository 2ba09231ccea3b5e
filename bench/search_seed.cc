// Fills a catalog with placeholder image files and one unit vector each, so
// that search through the API can be measured over a large index without
// indexing real media. bench/search_api.sh runs it.
//
// The files sit in a directory that is paused, so the file monitor neither
// scans it nor removes the entries whose files do not exist. The vectors
// are clustered around --centres random centres (cosine about 0.6 to the
// centre), which is closer to how embeddings of real media spread than
// uniform noise. With --near-text, a fraction of them is placed at a cosine
// of 0.2 to 0.45 from the text's vector under --model. A text query through
// the API then finds matches above the calibration floor, so the whole
// result path (catalog lookups, metadata, JSON) is measured.
//
// Usage: search_seed --catalog PATH --space NAME [--count 100000]
//                    [--dimension 512] [--centres 1000] [--seed 1]
//                    [--near-text TEXT --model DIR] [--near-fraction 0.001]

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/clock.h"
#include "common/uuid.h"
#include "embedding/encoder.h"
#include "store/catalog.h"
#include "store/sqlite.h"

namespace msearch::bench {
namespace {

struct Settings {
  std::string catalog;
  std::string space;
  size_t count = 100000;
  size_t dimension = 512;
  size_t centres = 1000;
  uint64_t seed = 1;
  std::string near_text;
  std::string model;
  double near_fraction = 0.001;
};

constexpr size_t kRowsPerTransaction = 10000;

void Normalize(std::vector<float>& vector) {
  double norm = 0;
  for (float value : vector) norm += static_cast<double>(value) * value;
  norm = std::sqrt(norm);
  for (float& value : vector) value = static_cast<float>(value / norm);
}

std::vector<float> RandomUnit(size_t dimension, std::mt19937_64& generator) {
  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::vector<float> vector(dimension);
  for (float& value : vector) value = normal(generator);
  Normalize(vector);
  return vector;
}

// Returns a random unit vector at cosine `cosine` from the unit vector `target`.
std::vector<float> AtCosine(const std::vector<float>& target, double cosine,
                            std::mt19937_64& generator) {
  std::vector<float> other = RandomUnit(target.size(), generator);
  double along = 0;
  for (size_t i = 0; i < target.size(); ++i) along += static_cast<double>(other[i]) * target[i];
  // The part of `other` orthogonal to `target`, scaled to unit length.
  for (size_t i = 0; i < target.size(); ++i) other[i] -= static_cast<float>(along * target[i]);
  Normalize(other);
  double across = std::sqrt(1.0 - cosine * cosine);
  std::vector<float> vector(target.size());
  for (size_t i = 0; i < target.size(); ++i) {
    vector[i] = static_cast<float>(cosine * target[i] + across * other[i]);
  }
  return vector;
}

int Run(const Settings& settings) {
  double started = MonotonicSeconds();
  std::mt19937_64 generator(settings.seed);
  std::vector<std::vector<float>> centres;
  for (size_t c = 0; c < settings.centres; ++c) {
    centres.push_back(RandomUnit(settings.dimension, generator));
  }
  std::vector<float> text_vector;
  if (!settings.near_text.empty()) {
    std::unique_ptr<embedding::Encoder> encoder = embedding::Encoder::Load(settings.model, 1);
    std::vector<std::string> texts = {settings.near_text};
    text_vector = encoder->EncodeTexts(texts).at(0);
    if (text_vector.size() != settings.dimension) {
      std::fprintf(stderr,
                   "search_seed: the model's vectors have %zu dimensions but --dimension is %zu; "
                   "pass --dimension %zu\n",
                   text_vector.size(), settings.dimension, text_vector.size());
      return 2;
    }
  }

  store::Catalog catalog(settings.catalog);
  store::Database& db = catalog.database();
  std::string folder = "/msearch-bench-seeded";
  int64_t directory_id = catalog.AddDirectory(folder, true, false).id;
  catalog.SetDirectoryState(directory_id, "paused", std::nullopt);

  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::uniform_int_distribution<size_t> pick(0, settings.centres - 1);
  // Noise of this norm relative to a unit centre gives a cosine of about
  // 0.6 between a vector and its centre.
  const float noise = static_cast<float>(1.33 / std::sqrt(static_cast<double>(settings.dimension)));
  const double now = NowSeconds();
  size_t near = 0;
  for (size_t begin = 0; begin < settings.count; begin += kRowsPerTransaction) {
    size_t end = std::min(settings.count, begin + kRowsPerTransaction);
    store::Transaction transaction(db);
    store::Statement insert_file = db.Prepare(
        "INSERT INTO files (uuid, directory_id, path, name, extension, kind, size, mtime_ns, "
        "inode, device, status, created_at, updated_at, indexed_at) "
        "VALUES (?, ?, ?, ?, '.jpg', 'image', ?, ?, ?, 0, 'indexed', ?, ?, ?)");
    store::Statement insert_vector = db.Prepare(
        "INSERT INTO embeddings (file_id, segment_id, space, dimension, vector, created_at) "
        "VALUES (?, NULL, ?, ?, ?, ?)");
    for (size_t i = begin; i < end; ++i) {
      std::string name = fmt::format("seeded_{:07}.jpg", i);
      insert_file.Reset();
      insert_file.Bind(1, NewUuid())
          .Bind(2, directory_id)
          .Bind(3, folder + "/" + name)
          .Bind(4, name)
          .Bind(5, static_cast<int64_t>(100000 + i))
          .Bind(6, static_cast<int64_t>((now - static_cast<double>(i)) * 1e9))
          .Bind(7, static_cast<int64_t>(i + 1))
          .Bind(8, now)
          .Bind(9, now)
          .Bind(10, now)
          .Run();
      int64_t file_id = db.LastInsertRowId();

      std::vector<float> vector;
      if (!text_vector.empty() && uniform(generator) < settings.near_fraction) {
        vector = AtCosine(text_vector, 0.2 + 0.25 * uniform(generator), generator);
        ++near;
      } else {
        const std::vector<float>& centre = centres[pick(generator)];
        vector.resize(settings.dimension);
        for (size_t d = 0; d < settings.dimension; ++d) {
          vector[d] = centre[d] + noise * normal(generator);
        }
        Normalize(vector);
      }
      insert_vector.Reset();
      insert_vector.Bind(1, file_id)
          .Bind(2, settings.space)
          .Bind(3, static_cast<int64_t>(settings.dimension))
          .BindBlob(4, std::as_bytes(std::span(vector)))
          .Bind(5, now)
          .Run();
    }
    transaction.Commit();
  }
  std::printf("seeded %zu files and vectors of space '%s' (%zu near the text) in %.1f s\n",
              settings.count, settings.space.c_str(), near, MonotonicSeconds() - started);
  return 0;
}

}  // namespace
}  // namespace msearch::bench

int main(int argc, char** argv) {
  msearch::bench::Settings settings;
  CLI::App app{"Fill a catalog with placeholder files and random vectors for search benchmarks"};
  app.add_option("--catalog", settings.catalog, "Catalog database to create or extend")->required();
  app.add_option("--space", settings.space, "Embedding space (the image model's store name)")
      ->required();
  app.add_option("--count", settings.count, "Files and vectors to add");
  app.add_option("--dimension", settings.dimension, "Elements per vector")
      ->check(CLI::PositiveNumber);
  app.add_option("--centres", settings.centres, "Cluster centres")->check(CLI::PositiveNumber);
  app.add_option("--seed", settings.seed, "Seed of the random vectors");
  auto* text = app.add_option("--near-text", settings.near_text,
                              "Place some vectors near this text's vector under --model");
  app.add_option("--model", settings.model, "Checkpoint folder that encodes --near-text")
      ->needs(text);
  app.add_option("--near-fraction", settings.near_fraction,
                 "Share of the vectors placed near the text")
      ->check(CLI::Range(0.0, 1.0));
  CLI11_PARSE(app, argc, argv);
  if (!settings.near_text.empty() && settings.model.empty()) {
    std::fprintf(stderr, "search_seed: --near-text needs --model\n");
    return 2;
  }
  try {
    return msearch::bench::Run(settings);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "search_seed: %s\n", error.what());
    return 1;
  }
}
