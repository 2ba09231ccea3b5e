// Speed of the CLAP model on a random-weight checkpoint at the size of
// laion/clap-htsat-unfused (unless --model names another folder):
// - peak sgemm: GFLOP/s of one 2048^3 cblas_sgemm, to judge how busy the
//   machine is;
// - log-mel features alone, in seconds of audio per second;
// - ClapModel::EmbedWaveform on --seconds of 48 kHz audio (features, HTSAT
//   tower and projection, in 10-s windows), in seconds of audio per second;
// - the audio tower alone on one window of precomputed features, also as
//   GFLOP/s (FLOPs counted from the config);
// - text latency of TextEmbeddings for one 12-token text padded to 77, and
//   texts/s for a batch of 16 such texts.
// Each figure is the median, minimum and maximum of --runs timed runs after
// one warm-up run.
//
// Usage: clap_bench [--model DIR] [--threads N] [--runs R] [--seconds S]
//        [--cache-dir DIR]
// Without --model the benchmark writes the checkpoint (about 615 MB) to
// --cache-dir (default: the system temporary folder) once and reuses it.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <cblas.h>
#include <fmt/format.h>

#include "inference/checkpoint_layout.h"
#include "inference/clap_model.h"
#include "inference/linear.h"
#include "inference/random_checkpoint.h"
#include "support/bench_stats.h"
#include "support/machine_info.h"

namespace msearch::bench {
namespace {

namespace fs = std::filesystem;
using inference::ClapModel;
using inference::EngineOptions;
using inference::Tensor;
using inference::TextBatch;

constexpr int kSampleRate = 48000;

struct Settings {
  fs::path model;
  fs::path cache_dir = fs::temp_directory_path() / "msearch_bench_models";
  int threads = 2;
  int runs = 5;
  double seconds = 60;
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

std::vector<double> Rates(const std::vector<double>& seconds, double count) {
  std::vector<double> rates;
  for (double value : seconds) rates.push_back(count / value);
  return rates;
}

// GFLOP/s of one 2048^3 cblas_sgemm on `threads` OpenBLAS threads: the
// ceiling for the GEMM-bound towers on this machine at this moment.
void PeakSgemm(int threads, int runs) {
  constexpr int kSize = 2048;
  std::vector<float> a(static_cast<size_t>(kSize) * kSize, 0.5f);
  std::vector<float> b(a.size(), 0.25f);
  std::vector<float> c(a.size());
  openblas_set_num_threads(threads);
  std::vector<double> seconds = TimeRuns(runs, [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, kSize, kSize, kSize, 1.0f, a.data(), kSize,
                b.data(), kSize, 0.0f, c.data(), kSize);
  });
  PrintRow(fmt::format("peak sgemm 2048^3, {} thread(s)", threads),
           Summarize(Rates(seconds, 2.0 * kSize * kSize * kSize * 1e-9)), "GFLOP/s", 1);
  inference::UseSingleThreadedBlas();
}

// Multiply-adds of one window through the HTSAT tower, times two: patch
// embedding, the matrix products of every Swin block (projections, MLP,
// windowed attention) and patch merging.
double AudioFlops(const inference::HtsatAudioConfig& config) {
  const double side = config.spec_size / config.patch_stride;
  double tokens = side * side;
  double flops = tokens * config.patch_embeds_hidden_size * config.patch_size * config.patch_size;
  const double window_tokens = config.window_size * config.window_size;
  for (int stage = 0; stage < config.num_stages(); ++stage) {
    const double width = config.StageWidth(stage);
    const double mlp = width * config.mlp_ratio;
    const double block = tokens * (4 * width * width + 2 * width * mlp + 2 * window_tokens * width);
    flops += block * config.depths[stage];
    if (stage + 1 < config.num_stages()) {
      flops += tokens / 4 * 4 * width * 2 * width;
      tokens /= 4;
    }
  }
  return 2 * flops;
}

// A chirp plus noise, so no window is silent or periodic.
std::vector<float> TestAudio(double seconds) {
  std::vector<float> samples(static_cast<size_t>(seconds * kSampleRate));
  std::mt19937 random(3);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  for (size_t i = 0; i < samples.size(); ++i) {
    const double t = static_cast<double>(i) / kSampleRate;
    samples[i] = static_cast<float>(0.3 * std::sin(2 * std::numbers::pi * (200 + 20 * t) * t)) +
                 noise(random);
  }
  return samples;
}

void BenchAudio(ClapModel& model, const Settings& settings) {
  const std::vector<float> audio = TestAudio(settings.seconds);
  const std::span<const float> window(audio.data(),
                                      std::min<size_t>(audio.size(), model.window_samples()));
  const double window_seconds = static_cast<double>(window.size()) / kSampleRate;

  std::vector<double> seconds = TimeRuns(settings.runs, [&] { model.ExtractFeatures(window); });
  PrintRow("log-mel features, one window", Summarize(Rates(seconds, window_seconds)), "audio s/s",
           1);

  const Tensor features = model.ExtractFeatures(window);
  const int frames = static_cast<int>(features.shape[2]);
  seconds = TimeRuns(settings.runs, [&] {
    model.EncodeAudio(features.values, 1, static_cast<int>(features.shape[1]), frames, false);
  });
  PrintRow("audio tower, one window", Summarize(Rates(seconds, window_seconds)), "audio s/s", 1);
  PrintRow("audio tower, one window",
           Summarize(Rates(seconds, AudioFlops(model.config().audio) * 1e-9)), "GFLOP/s", 1);

  seconds = TimeRuns(settings.runs, [&] { model.EmbedWaveform(audio, kSampleRate); });
  PrintRow(fmt::format("EmbedWaveform, {:.0f} s of audio", settings.seconds),
           Summarize(Rates(seconds, settings.seconds)), "audio s/s", 1);
}

void BenchTexts(ClapModel& model, int batch, int runs) {
  // <s>, ten ordinary tokens, </s>, padded with <pad> (id 1) to 77.
  constexpr int kLength = 77;
  constexpr int kTokens = 12;
  std::vector<int64_t> ids(static_cast<size_t>(batch) * kLength, 1);
  std::vector<int64_t> mask(ids.size(), 0);
  for (int text = 0; text < batch; ++text) {
    for (int i = 0; i < kTokens; ++i) {
      const size_t at = static_cast<size_t>(text) * kLength + i;
      ids[at] = 1000 + 37 * i + text;
      if (i == 0) ids[at] = 0;
      if (i == kTokens - 1) ids[at] = 2;
      mask[at] = 1;
    }
  }
  const TextBatch texts{batch, kLength, ids, mask, {}};
  const int calls = batch == 1 ? 20 : 2;
  std::vector<double> seconds = TimeRuns(runs, [&] {
    for (int call = 0; call < calls; ++call) model.TextEmbeddings(texts);
  });
  if (batch == 1) {
    std::vector<double> milliseconds;
    for (double value : seconds) milliseconds.push_back(value * 1e3 / calls);
    PrintRow("text latency, 12 tokens", Summarize(milliseconds), "ms", 2);
  } else {
    PrintRow(fmt::format("texts, batch {}", batch),
             Summarize(Rates(seconds, static_cast<double>(calls) * batch)), "texts/s", 1);
  }
}

fs::path EnsureCheckpoint(const Settings& settings) {
  if (!settings.model.empty()) return settings.model;
  const fs::path dir = settings.cache_dir / "clap-htsat-unfused";
  if (!fs::exists(dir / "model.safetensors")) {
    std::printf("writing a random clap-htsat-unfused checkpoint to %s\n", dir.c_str());
    inference::WriteRandomCheckpoint(dir, inference::PresetConfig("clap-htsat-unfused"), 1);
  }
  return dir;
}

}  // namespace
}  // namespace msearch::bench

int main(int argc, char** argv) {
  using namespace msearch::bench;
  Settings settings;
  CLI::App app{"CLAP speed on a random clap-htsat-unfused checkpoint"};
  app.add_option("--model", settings.model, "model folder (default: a random clap-htsat-unfused)");
  app.add_option("--threads", settings.threads, "engine threads")->check(CLI::Range(1, 256));
  app.add_option("--runs", settings.runs, "timed runs per figure")->check(CLI::Range(1, 1000));
  app.add_option("--seconds", settings.seconds, "length of the EmbedWaveform input in seconds")
      ->check(CLI::Range(1.0, 3600.0));
  app.add_option("--cache-dir", settings.cache_dir, "where the random checkpoint is kept");
  CLI11_PARSE(app, argc, argv);

  std::printf("%s\n", DescribeMachine().c_str());
  const fs::path model_dir = EnsureCheckpoint(settings);
  auto model = ClapModel::Load(model_dir, EngineOptions{.num_threads = settings.threads});
  std::printf("model %s, %d threads\n", model_dir.c_str(), settings.threads);

  PrintTableHeader("figure");
  PeakSgemm(settings.threads, settings.runs);
  BenchAudio(*model, settings);
  BenchTexts(*model, 1, settings.runs);
  BenchTexts(*model, 16, settings.runs);
  return 0;
}
