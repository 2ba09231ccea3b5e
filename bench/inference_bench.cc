// Speed of the inference engine on a random-weight CLIP checkpoint at real
// size (ViT-B/32 unless --model names another folder):
// - peak sgemm: GFLOP/s of one 2048^3 cblas_sgemm with OpenBLAS's own threads,
//   and peak packed GEMM: the same product through the engine's own packed
//   GEMM (weights packed once, before timing) on the pool's threads. The
//   higher of the two is the ceiling for the GEMM-bound towers;
// - images/s of ClipModel::ImageEmbeddings at batch 1 and 16, with the
//   GFLOP/s this reaches (FLOPs counted from the config);
// - text latency of TextEmbeddings for one 12-token text padded to 77, and
//   texts/s for a batch of 16 such texts.
// Each figure is the median, minimum and maximum of --runs timed runs after
// one warm-up run.
//
// With --gemm it times only GEMMs instead: the 2048^3 product and the linear
// layers of ViT-B/32 and of the text tower, at batch 1 and 16. Each runs on
// every GEMM path of this CPU: OpenBLAS as Linear calls it, and each
// micro-kernel.
//
// Usage: inference_bench [--model DIR] [--threads N] [--runs R]
//        [--cache-dir DIR] [--pixels FILE] [--embeddings-out DIR] [--gemm]
// Without --model the benchmark writes the checkpoint (605 MB) to
// --cache-dir (default: the system temporary folder) once and reuses it.
// --pixels and --embeddings-out let bench/compare/ time other engines on the
// same inputs and check that they compute the same embeddings.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <cblas.h>
#include <fmt/format.h>

#include "inference/checkpoint_layout.h"
#include "inference/clip_model.h"
#include "inference/gemm_kernel.h"
#include "inference/linear.h"
#include "inference/random_checkpoint.h"
#include "inference/thread_pool.h"
#include "support/bench_stats.h"
#include "support/machine_info.h"

namespace msearch::bench {
namespace {

namespace fs = std::filesystem;
using inference::ClipModel;
using inference::EngineOptions;
using inference::Tensor;
using inference::TextBatch;

struct Settings {
  fs::path model;
  fs::path cache_dir = fs::temp_directory_path() / "msearch_bench_models";
  int threads = 2;
  int runs = 5;
  fs::path pixels;          // raw float32 [16, 3, size, size]; random when empty
  fs::path embeddings_out;  // where to write raw float32 embeddings; none when empty
  bool gemm_only = false;
};

double Seconds(std::chrono::steady_clock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}

// Times `body` `runs` times after one warm-up call; returns seconds per call.
template <typename Body>
std::vector<double> TimeRuns(int runs, Body&& body) {
  body();
  std::vector<double> seconds;
  for (int run = 0; run < runs; ++run) {
    auto start = std::chrono::steady_clock::now();
    body();
    seconds.push_back(Seconds(std::chrono::steady_clock::now() - start));
  }
  return seconds;
}

// `count` divided by each duration: a rate per second.
std::vector<double> Rates(const std::vector<double>& seconds, double count) {
  std::vector<double> rates;
  for (double value : seconds) rates.push_back(count / value);
  return rates;
}

// Each duration times `factor`.
std::vector<double> Scaled(const std::vector<double>& seconds, double factor) {
  std::vector<double> scaled;
  for (double value : seconds) scaled.push_back(value * factor);
  return scaled;
}

void PeakSgemm(int threads, int runs) {
  constexpr int kSize = 2048;
  std::vector<float> a(static_cast<size_t>(kSize) * kSize, 0.5f);
  std::vector<float> b(a.size(), 0.25f);
  std::vector<float> c(a.size());
  const double flops = 2.0 * kSize * kSize * kSize;
  for (int count : {1, threads}) {
    openblas_set_num_threads(count);
    std::vector<double> seconds = TimeRuns(runs, [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, kSize, kSize, kSize, 1.0f, a.data(),
                  kSize, b.data(), kSize, 0.0f, c.data(), kSize);
    });
    PrintRow(fmt::format("peak sgemm 2048^3, {} thread(s)", count),
             Summarize(Rates(seconds, flops * 1e-9)), "GFLOP/s", 1);
    if (count == threads) break;
  }
  inference::UseSingleThreadedBlas();
}

// Times output[rows, columns] = input[rows, depth] W^T + b through Linear
// with `layer` on `pool`, and returns the GFLOP/s of each run.
std::vector<double> TimeLinear(inference::ThreadPool& pool, const inference::LinearLayer& layer,
                               int rows, int runs) {
  const int depth = layer.in_features();
  const int columns = layer.out_features();
  std::vector<float> input(static_cast<size_t>(rows) * depth, 0.5f);
  std::vector<float> output(static_cast<size_t>(rows) * columns);
  // Enough calls per timed run to last about 20 ms at 100 GFLOP/s.
  const double flops = 2.0 * rows * depth * columns;
  const int calls = std::max(1, static_cast<int>(2e9 / flops));
  std::vector<double> seconds = TimeRuns(runs, [&] {
    for (int call = 0; call < calls; ++call) {
      inference::Linear(pool, input.data(), rows, depth, layer, output.data(), columns);
    }
  });
  return Rates(seconds, calls * flops * 1e-9);
}

// Prints the GFLOP/s of the engine's packed GEMM with the default
// micro-kernel on a 2048^3 product, the counterpart of PeakSgemm.
void PeakPackedGemm(int threads, int runs) {
  const inference::gemm::MicroKernel* kernel = inference::gemm::DefaultKernel();
  if (kernel == nullptr) return;
  constexpr int kSize = 2048;
  std::vector<float> weights(static_cast<size_t>(kSize) * kSize, 0.25f);
  const inference::LinearWeights view{weights.data(), nullptr, kSize, kSize};
  const inference::LinearLayer layer(std::span<const inference::LinearWeights>(&view, 1), kernel);
  for (int count : {1, threads}) {
    inference::ThreadPool pool(count);
    PrintRow(fmt::format("peak packed GEMM 2048^3, {} thread(s)", count),
             Summarize(TimeLinear(pool, layer, kSize, runs)), "GFLOP/s", 1);
    if (count == threads) break;
  }
}

// One linear layer of the benchmarked models: rows x depth x columns.
struct GemmShape {
  const char* name;
  int rows;
  int depth;
  int columns;
};

// Times each layer shape of ViT-B/32 and of its text tower on every GEMM
// path: OpenBLAS (Linear without packing) and each supported micro-kernel.
void BenchGemmShapes(int threads, int runs) {
  constexpr GemmShape kShapes[] = {
      {"square", 2048, 2048, 2048}, {"qkv b1", 50, 768, 2304},   {"fc1 b1", 50, 768, 3072},
      {"fc2 b1", 50, 3072, 768},    {"out b1", 50, 768, 768},    {"qkv b16", 800, 768, 2304},
      {"fc1 b16", 800, 768, 3072},  {"fc2 b16", 800, 3072, 768}, {"text qkv", 12, 512, 1536},
      {"text fc1", 12, 512, 2048},  {"text fc2", 12, 2048, 512}, {"projection b1", 1, 768, 512},
  };
  inference::ThreadPool pool(threads);
  std::vector<const inference::gemm::MicroKernel*> paths = {nullptr};
  for (const auto* kernel : inference::gemm::SupportedKernels()) paths.push_back(kernel);
  std::mt19937 generator(3);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (const GemmShape& shape : kShapes) {
    std::vector<float> weights(static_cast<size_t>(shape.columns) * shape.depth);
    for (float& value : weights) value = normal(generator);
    std::vector<float> bias(shape.columns, 0.1f);
    const inference::LinearWeights view{weights.data(), bias.data(), shape.columns, shape.depth};
    for (const auto* kernel : paths) {
      const inference::LinearLayer layer(std::span<const inference::LinearWeights>(&view, 1),
                                         kernel);
      PrintRow(fmt::format("{} {}x{}x{}, {}", shape.name, shape.rows, shape.depth, shape.columns,
                           kernel != nullptr ? kernel->name : "openblas"),
               Summarize(TimeLinear(pool, layer, shape.rows, runs)), "GFLOP/s", 1);
    }
  }
}

// Multiply-adds of one image through the vision tower, times two.
double VisionFlops(const inference::VisionConfig& config, int projection_dim) {
  const double tokens = config.num_positions();
  const double width = config.hidden_size;
  const double inner = config.intermediate_size;
  const double patch_values = config.num_channels * config.patch_size * config.patch_size;
  double macs = config.num_patches() * patch_values * width;
  const double per_layer = tokens * width * 4 * width     // q, k, v, out
                           + 2 * tokens * tokens * width  // scores and context
                           + 2 * tokens * width * inner;  // MLP
  macs += config.num_hidden_layers * per_layer + width * projection_dim;
  return 2 * macs;
}

// Writes the raw float32 values of `tensor` to `path`; exits on failure.
void WriteFloats(const fs::path& path, const Tensor& tensor) {
  std::ofstream file(path, std::ios::binary);
  file.write(reinterpret_cast<const char*>(tensor.data()),
             static_cast<std::streamsize>(static_cast<size_t>(tensor.size()) * sizeof(float)));
  if (!file) {
    std::fprintf(stderr, "inference_bench: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

// The first `count` floats of the raw float32 file `path`; exits when the
// file is missing or shorter.
std::vector<float> ReadFloats(const fs::path& path, size_t count) {
  std::vector<float> values(count);
  std::ifstream file(path, std::ios::binary);
  file.read(reinterpret_cast<char*>(values.data()),
            static_cast<std::streamsize>(count * sizeof(float)));
  if (!file) {
    std::fprintf(stderr,
                 "inference_bench: --pixels %s is missing or contains fewer than %zu floats\n",
                 path.c_str(), count);
    std::exit(2);
  }
  return values;
}

void BenchImages(ClipModel& model, int batch, int runs, const Settings& settings) {
  const int size = model.config().vision.image_size;
  const size_t count = static_cast<size_t>(batch) * 3 * size * size;
  std::vector<float> pixels(count);
  if (settings.pixels.empty()) {
    std::mt19937 generator(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (float& value : pixels) value = normal(generator);
  } else {
    pixels = ReadFloats(settings.pixels, count);
  }
  if (!settings.embeddings_out.empty()) {
    WriteFloats(settings.embeddings_out / fmt::format("image_embeds_b{}.f32", batch),
                model.ImageEmbeddings(pixels, batch));
  }

  // Enough images per timed run to last a few hundred milliseconds.
  const int calls = std::max(1, 16 / batch);
  std::vector<double> seconds = TimeRuns(runs, [&] {
    for (int call = 0; call < calls; ++call) model.ImageEmbeddings(pixels, batch);
  });
  const double images = static_cast<double>(calls) * batch;
  PrintRow(fmt::format("images, batch {}", batch), Summarize(Rates(seconds, images)), "images/s",
           1);
  const double flops = VisionFlops(model.config().vision, model.config().projection_dim);
  PrintRow(fmt::format("vision GFLOP/s, batch {}", batch),
           Summarize(Rates(seconds, images * flops * 1e-9)), "GFLOP/s", 1);
}

void BenchTexts(ClipModel& model, int batch, int runs, const Settings& settings) {
  constexpr int kLength = 77;
  constexpr int kTokens = 12;
  std::vector<int64_t> ids(static_cast<size_t>(batch) * kLength, 49407);
  std::vector<int64_t> mask(ids.size(), 0);
  for (int text = 0; text < batch; ++text) {
    for (int t = 0; t < kTokens; ++t) {
      ids[text * kLength + t] = t == 0 ? 49406 : (t == kTokens - 1 ? 49407 : 320 + 17 * t + text);
      mask[text * kLength + t] = 1;
    }
  }
  TextBatch texts{batch, kLength, ids, mask, {}};
  if (!settings.embeddings_out.empty()) {
    WriteFloats(settings.embeddings_out / fmt::format("text_embeds_b{}.f32", batch),
                model.TextEmbeddings(texts));
  }
  const int calls = batch == 1 ? 20 : 2;
  std::vector<double> seconds = TimeRuns(runs, [&] {
    for (int call = 0; call < calls; ++call) model.TextEmbeddings(texts);
  });
  if (batch == 1) {
    PrintRow("text latency, 12 tokens", Summarize(Scaled(seconds, 1e3 / calls)), "ms", 2);
  } else {
    PrintRow(fmt::format("texts, batch {}", batch),
             Summarize(Rates(seconds, static_cast<double>(calls) * batch)), "texts/s", 1);
  }
}

fs::path EnsureCheckpoint(const Settings& settings) {
  if (!settings.model.empty()) return settings.model;
  const fs::path dir = settings.cache_dir / "clip-vit-b32";
  if (!fs::exists(dir / "model.safetensors")) {
    std::printf("writing a random ViT-B/32 checkpoint to %s\n", dir.c_str());
    inference::WriteRandomCheckpoint(dir, inference::PresetConfig("clip-vit-b32"), 1);
  }
  return dir;
}

}  // namespace
}  // namespace msearch::bench

int main(int argc, char** argv) {
  using namespace msearch::bench;
  Settings settings;
  CLI::App app{"Inference engine speed on a random ViT-B/32 CLIP checkpoint"};
  app.add_option("--model", settings.model, "model folder (default: a random ViT-B/32)");
  app.add_option("--threads", settings.threads, "engine threads")->check(CLI::Range(1, 256));
  app.add_option("--runs", settings.runs, "timed runs per figure")->check(CLI::Range(1, 1000));
  app.add_option("--cache-dir", settings.cache_dir, "where the random checkpoint is kept");
  app.add_option("--pixels", settings.pixels,
                 "raw float32 file of 16 preprocessed images [16, 3, size, size] to time instead "
                 "of random pixels; batch 1 uses the first image")
      ->check(CLI::ExistingFile);
  app.add_option("--embeddings-out", settings.embeddings_out,
                 "folder to write the raw float32 embeddings of the timed inputs to "
                 "(image_embeds_b1.f32, image_embeds_b16.f32, text_embeds_b1.f32, ...)")
      ->check(CLI::ExistingDirectory);
  app.add_flag("--gemm", settings.gemm_only,
               "time only GEMMs: a 2048^3 product and the layer shapes of the model, on every GEMM "
               "path of this CPU");
  CLI11_PARSE(app, argc, argv);

  std::printf("%s\n", DescribeMachine().c_str());
  if (settings.gemm_only) {
    msearch::inference::UseSingleThreadedBlas();
    PrintTableHeader("GEMM, rows x depth x columns, path");
    BenchGemmShapes(settings.threads, settings.runs);
    return 0;
  }
  const fs::path model_dir = EnsureCheckpoint(settings);
  auto model = ClipModel::Load(model_dir, EngineOptions{.num_threads = settings.threads});
  std::printf("model %s, %d threads\n", model_dir.c_str(), settings.threads);

  PrintTableHeader("figure");
  PeakSgemm(settings.threads, settings.runs);
  PeakPackedGemm(settings.threads, settings.runs);
  BenchImages(*model, 1, settings.runs, settings);
  BenchImages(*model, 16, settings.runs, settings);
  BenchTexts(*model, 1, settings.runs, settings);
  BenchTexts(*model, 16, settings.runs, settings);
  return 0;
}
