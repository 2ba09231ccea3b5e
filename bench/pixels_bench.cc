// Speed of model-ready image decoding (media::DecodeRgb) and of the
// perceptual hash, in images per second on one thread. Rates are given per
// second of wall time and per second of CPU time of this process. The CPU
// figure is less disturbed by other work on a shared machine.
//
// The bench makes a 12-megapixel (4000x3000) baseline JPEG of quality 90 in
// a scratch folder by enlarging a corpus photo with libvips, and decodes it
// to a shorter side of --short-side pixels (JPEG shrink-on-load does most of
// the work). It also measures a 1000x750 PNG made from the same picture,
// whose format cannot shrink on load. Finally it measures what a task
// worker's probe does with each photo: media::ProbeAndThumbnail (facts, pixel
// validation and a 320-pixel JPEG thumbnail in one decode), plus the
// perceptual hash of the same photo at 224 pixels.
//
// Last, it runs the probe and thumbnail as the task workers do: --workers
// processes (2 by default, as many as the default configuration's task
// workers), each over its own --images copies of the 12-megapixel JPEG. The
// processes start, initialise libvips and wait. The clock runs from the
// moment all of them are released until the last one exits, so their start
// is not counted.
//
// Usage: pixels_bench [--runs R] [--images N] [--short-side S] [--workers W]
//                     [--corpus PATH]

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <vips/vips8>

#include "common/clock.h"
#include "media/image_pixels.h"
#include "media/init.h"
#include "media/perceptual_hash.h"
#include "media/probe_and_thumbnail.h"
#include "support/bench_paths.h"
#include "support/bench_stats.h"
#include "support/child_process.h"
#include "support/corpus_files.h"
#include "support/machine_info.h"

namespace msearch::bench {
namespace {

struct Settings {
  int runs = 5;
  int images = 20;
  int short_side = 224;
  int workers = 2;
  std::filesystem::path corpus = DefaultCorpusDir();
  // Set only in a worker process started by this bench.
  std::filesystem::path worker_folder;
};

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct Rates {
  double wall = 0;
  double cpu = 0;
};

Rates DecodeRates(const std::filesystem::path& path, const Settings& settings) {
  double cpu_start = CpuSeconds();
  double start = MonotonicSeconds();
  for (int i = 0; i < settings.images; ++i) media::DecodeRgb(path, settings.short_side);
  return {settings.images / (MonotonicSeconds() - start),
          settings.images / (CpuSeconds() - cpu_start)};
}

double HashRate(const media::RgbImage& image, int count) {
  double start = MonotonicSeconds();
  uint64_t combined = 0;
  for (int i = 0; i < count; ++i) combined ^= media::PerceptualHash(image);
  double elapsed = MonotonicSeconds() - start;
  // Uses the result so the loop is not optimised away.
  if (combined == 1) std::fputs("", stdout);
  return count / elapsed;
}

// Photos per second through the probe task's decode and thumbnail, then the
// perceptual hash, as a task worker runs them for a new photo.
Rates ThumbnailRates(const std::filesystem::path& path, const std::filesystem::path& output,
                     const Settings& settings, bool with_hash) {
  double cpu_start = CpuSeconds();
  double start = MonotonicSeconds();
  for (int i = 0; i < settings.images; ++i) {
    media::ProbeAndThumbnail(path, "image", output);
    if (with_hash) media::PerceptualHash(media::DecodeRgb(path, settings.short_side));
  }
  return {settings.images / (MonotonicSeconds() - start),
          settings.images / (CpuSeconds() - cpu_start)};
}

bool WaitForFile(const std::filesystem::path& path, double timeout_seconds) {
  double deadline = MonotonicSeconds() + timeout_seconds;
  while (!std::filesystem::exists(path)) {
    if (MonotonicSeconds() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Runs as a worker process. Waits for the go file next to `folder`, then
// makes the thumbnail of every .jpg in `folder`. Returns the exit status.
int RunWorker(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> photos;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() == ".jpg") photos.push_back(entry.path());
  }
  media::EnsureMediaInitialized();
  std::ofstream(folder / "ready").put('1');
  if (!WaitForFile(folder.parent_path() / "go", 60)) return 1;
  for (const std::filesystem::path& photo : photos) {
    media::ProbeAndThumbnail(photo, "image", folder / "thumbnails" / photo.filename());
  }
  return 0;
}

// Returns the photos per second of wall time with `settings.workers` worker
// processes running at once, each over its own copies of `jpeg`. Returns 0
// when a worker fails or is not ready within 60 s.
double ParallelWorkerRate(const std::filesystem::path& jpeg, const std::filesystem::path& scratch,
                          const Settings& settings) {
  std::filesystem::path root = scratch / "workers";
  std::filesystem::remove_all(root);
  std::vector<std::filesystem::path> folders;
  for (int worker = 0; worker < settings.workers; ++worker) {
    std::filesystem::path folder = root / fmt::format("worker_{}", worker);
    std::filesystem::create_directories(folder / "thumbnails");
    for (int i = 0; i < settings.images; ++i) {
      std::filesystem::copy_file(jpeg, folder / fmt::format("photo_{:04d}.jpg", i));
    }
    folders.push_back(folder);
  }
  std::vector<pid_t> pids;
  for (const std::filesystem::path& folder : folders) {
    pids.push_back(Spawn({"/proc/self/exe", "--worker-folder", folder.string()}, {}));
  }
  bool ready = true;
  for (const std::filesystem::path& folder : folders) {
    ready = ready && WaitForFile(folder / "ready", 60);
  }
  double start = MonotonicSeconds();
  std::ofstream(root / "go").put('1');
  bool clean = ready;
  for (pid_t pid : pids) {
    std::optional<int> status = WaitExit(pid, 600);
    clean = clean && status && ExitedCleanly(*status);
  }
  double elapsed = MonotonicSeconds() - start;
  if (!clean) return 0;
  return settings.workers * settings.images / elapsed;
}

}  // namespace
}  // namespace msearch::bench

int main(int argc, char** argv) {
  using namespace msearch::bench;
  Settings settings;
  CLI::App app{"Measures DecodeRgb and PerceptualHash speed"};
  app.add_option("--runs", settings.runs, "Runs of each measurement")->check(CLI::Range(1, 100));
  app.add_option("--images", settings.images, "Decodes per run")->check(CLI::Range(1, 10000));
  app.add_option("--short-side", settings.short_side, "Requested shorter side in pixels")
      ->check(CLI::Range(16, 4096));
  app.add_option("--workers", settings.workers, "Worker processes of the parallel measurement")
      ->check(CLI::Range(1, 64));
  app.add_option("--corpus", settings.corpus, "The shared media corpus folder");
  app.add_option("--worker-folder", settings.worker_folder,
                 "Internal: run as a worker process over the photos of this folder")
      ->group("");
  CLI11_PARSE(app, argc, argv);
  if (!settings.worker_folder.empty()) {
    spdlog::set_level(spdlog::level::warn);
    return RunWorker(settings.worker_folder);
  }

  if (!CorpusAvailable(settings.corpus, "pixels_bench")) return 0;
  spdlog::set_level(spdlog::level::warn);
  msearch::media::InitMedia();
  ScratchDir scratch("pixels-bench");
  std::filesystem::path photo = settings.corpus / "images" / "landscape_dune_sea.jpg";
  std::filesystem::path jpeg = scratch.path() / "12mp.jpg";
  std::filesystem::path png = scratch.path() / "1000x750.png";
  try {
    vips::VImage source = vips::VImage::new_from_file(photo.c_str());
    vips::VImage large = source.resize(
        4000.0 / source.width(), vips::VImage::option()->set("vscale", 3000.0 / source.height()));
    large.jpegsave(jpeg.c_str(), vips::VImage::option()->set("Q", 90));
    large.resize(0.25).pngsave(png.c_str());
  } catch (const vips::VError& error) {
    std::fprintf(stderr, "pixels_bench: cannot make the test images: %s\n", error.what());
    return 1;
  }

  fmt::print("pixels_bench: shorter side {}, {} decodes per run, {} runs\n", settings.short_side,
             settings.images, settings.runs);
  fmt::print("machine: {}\n\n", DescribeMachine());
  PrintTableHeader("measurement");

  for (const auto& [name, path] :
       {std::pair<std::string, std::filesystem::path>{"DecodeRgb, 12 MP JPEG 4000x3000", jpeg},
        {"DecodeRgb, PNG 1000x750", png}}) {
    std::vector<double> wall_rates;
    std::vector<double> cpu_rates;
    for (int run = 0; run < settings.runs; ++run) {
      Rates rates = DecodeRates(path, settings);
      wall_rates.push_back(rates.wall);
      cpu_rates.push_back(rates.cpu);
    }
    PrintRow(name + ", wall", Summarize(wall_rates), "images/s", 1);
    PrintRow(name + ", CPU", Summarize(cpu_rates), "images/s", 1);
  }

  msearch::media::RgbImage decoded = msearch::media::DecodeRgb(jpeg, settings.short_side);
  std::vector<double> hash_rates;
  for (int run = 0; run < settings.runs; ++run) {
    hash_rates.push_back(HashRate(decoded, settings.images * 10));
  }
  PrintRow(fmt::format("PerceptualHash, {}x{} RGB", decoded.width, decoded.height),
           Summarize(hash_rates), "images/s", 0);

  for (bool with_hash : {false, true}) {
    std::vector<double> wall_rates;
    std::vector<double> cpu_rates;
    for (int run = 0; run < settings.runs; ++run) {
      Rates rates = ThumbnailRates(jpeg, scratch.path() / "thumbnail.jpg", settings, with_hash);
      wall_rates.push_back(rates.wall);
      cpu_rates.push_back(rates.cpu);
    }
    std::string name =
        with_hash ? "12 MP JPEG: probe, thumbnail, hash" : "12 MP JPEG: probe, thumbnail";
    PrintRow(name + ", wall", Summarize(wall_rates), "images/s", 1);
    PrintRow(name + ", CPU", Summarize(cpu_rates), "images/s", 1);
  }

  std::vector<double> parallel_rates;
  for (int run = 0; run < settings.runs; ++run) {
    double rate = ParallelWorkerRate(jpeg, scratch.path(), settings);
    if (rate <= 0) {
      std::fprintf(stderr, "pixels_bench: a worker process failed or was not ready within 60 s\n");
      return 1;
    }
    parallel_rates.push_back(rate);
  }
  PrintRow(fmt::format("12 MP JPEG: probe, thumbnail, {} worker processes, wall", settings.workers),
           Summarize(parallel_rates), "images/s", 1);
  fmt::print("\nmachine at the end: {}\n", DescribeMachine());
  return 0;
}
