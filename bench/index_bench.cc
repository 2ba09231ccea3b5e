// Indexing speed on the corpus images, in files per second.
//
// The images (without the 20000 x 20000 PNG) are copied --copies times into
// a scratch folder under distinct names. Each run then measures, on a fresh
// catalog:
//   scan             monitor::ScanOnce over the folder: walk, stat, catalog
//                    upserts; no file is read;
//   rescan           ScanOnce again, every file unchanged;
//   probe, thumbnail media::ProbeFile then media::MakeThumbnail per file, one
//                    thread: the work of the worker's probe and thumbnail tasks;
//   ProbeAndThumbnail media::ProbeAndThumbnail per file, one thread (one
//                    pixel decode per image);
//   TaskExecutor     runtime::TaskExecutor probe task plus its thumbnail task
//                    per file, one thread, with catalog writes and the
//                    content hash: what `msearch index --once` runs per file;
//   index --once     `msearch index DIR --once --json` as a process on a
//                    fresh data folder: start-up, scan and processing.
// The huge PNG is measured on its own with ProbeAndThumbnail. Finally the
// slowest images (median milliseconds of ProbeFile + MakeThumbnail) and the
// memory this process keeps after the per-file runs are listed.
//
// Usage: index_bench [--copies K] [--runs R] [--corpus PATH] [--msearch PATH]

#include <algorithm>
#include <fstream>
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "common/clock.h"
#include "config/config_loader.h"
#include "media/init.h"
#include "media/media_kind.h"
#include "media/probe.h"
#include "media/probe_and_thumbnail.h"
#include "monitor/file_monitor.h"
#include "runtime/task_executor.h"
#include "runtime/task_types.h"
#include "support/bench_instance.h"
#include "support/bench_paths.h"
#include "support/bench_stats.h"
#include "support/child_process.h"
#include "support/corpus_files.h"
#include "support/machine_info.h"
#include "support/process_memory.h"

namespace msearch::bench {
namespace {

constexpr double kMebibyte = 1024.0 * 1024.0;

struct Settings {
  int copies = 7;
  int runs = 5;
  std::filesystem::path corpus = DefaultCorpusDir();
  std::filesystem::path msearch = DefaultMsearchExecutable();
  bool skip_cli = false;
  bool keep = false;
};

class CollectingSink : public monitor::WorkSink {
 public:
  void FilesChanged(std::span<const store::UpsertOutcome> outcomes) override {
    for (const store::UpsertOutcome& outcome : outcomes) file_ids.push_back(outcome.file_id);
  }
  std::vector<int64_t> file_ids;
};

// Everything the runs share: the copied images and a configuration whose
// paths point into the scratch folder.
struct Workspace {
  std::filesystem::path root;
  std::filesystem::path media;
  std::vector<std::filesystem::path> files;
  config::Config config;
};

struct Samples {
  std::vector<double> scan, rescan, separate, combined, executor, cli;
  std::vector<double> huge_ms;
  std::map<std::string, std::vector<double>> per_image_ms;  // corpus name -> ms
  int64_t failures = 0;
};

std::string CorpusName(const std::filesystem::path& copy) {
  std::string stem = copy.stem().string();
  return stem.substr(0, stem.rfind("_c")) + copy.extension().string();
}

std::string KindOf(const std::filesystem::path& file) {
  return media::KindForExtension(file.extension().string()).value_or("image");
}

double FilesPerSecond(size_t files, double seconds) { return static_cast<double>(files) / seconds; }

// Runs the two scans on a fresh catalog; returns the ids of the files found.
std::vector<int64_t> MeasureScans(const Workspace& workspace, store::Catalog& catalog,
                                  Samples& samples) {
  store::DirectoryRecord directory = catalog.AddDirectory(workspace.media, true, false);
  CollectingSink sink;
  double started = MonotonicSeconds();
  monitor::ScanStats first =
      monitor::ScanOnce(catalog, directory, workspace.config.processes.file_monitor, sink);
  samples.scan.push_back(FilesPerSecond(first.seen, MonotonicSeconds() - started));

  CollectingSink unchanged_sink;
  started = MonotonicSeconds();
  monitor::ScanStats second = monitor::ScanOnce(
      catalog, directory, workspace.config.processes.file_monitor, unchanged_sink);
  samples.rescan.push_back(FilesPerSecond(second.seen, MonotonicSeconds() - started));
  if (static_cast<size_t>(first.seen) != workspace.files.size() ||
      second.unchanged != second.seen) {
    fmt::print(stderr, "index_bench: scan saw {} of {} files, rescan {} unchanged of {}\n",
               first.seen, workspace.files.size(), second.unchanged, second.seen);
  }
  return sink.file_ids;
}

void MeasureSeparate(const Workspace& workspace, const std::filesystem::path& thumbnails,
                     Samples& samples) {
  double started = MonotonicSeconds();
  for (size_t i = 0; i < workspace.files.size(); ++i) {
    const std::filesystem::path& file = workspace.files[i];
    double file_started = MonotonicSeconds();
    try {
      media::ProbeFile(file, KindOf(file));
      media::MakeThumbnail(file, KindOf(file), thumbnails / fmt::format("s{}.jpg", i));
    } catch (const media::MediaError& error) {
      ++samples.failures;
      spdlog::warn("{}", error.what());
    }
    samples.per_image_ms[CorpusName(file)].push_back((MonotonicSeconds() - file_started) * 1000);
  }
  samples.separate.push_back(FilesPerSecond(workspace.files.size(), MonotonicSeconds() - started));
}

void MeasureCombined(const Workspace& workspace, const std::filesystem::path& thumbnails,
                     Samples& samples) {
  double started = MonotonicSeconds();
  for (size_t i = 0; i < workspace.files.size(); ++i) {
    const std::filesystem::path& file = workspace.files[i];
    try {
      media::ProbeAndThumbnail(file, KindOf(file), thumbnails / fmt::format("c{}.jpg", i));
    } catch (const media::MediaError& error) {
      ++samples.failures;
      spdlog::warn("{}", error.what());
    }
  }
  samples.combined.push_back(FilesPerSecond(workspace.files.size(), MonotonicSeconds() - started));
}

void MeasureExecutor(const Workspace& workspace, const std::filesystem::path& thumbnails,
                     store::Catalog& catalog, const std::vector<int64_t>& file_ids,
                     Samples& samples) {
  config::Config config = workspace.config;
  config.storage.thumbnail_dir = thumbnails;
  runtime::TaskExecutor executor(config, catalog);
  double started = MonotonicSeconds();
  for (int64_t file_id : file_ids) {
    std::vector<queue::NewTask> follow_ups;
    try {
      executor.Run(runtime::kTaskProbe, {{"file_id", file_id}}, &follow_ups);
      for (const queue::NewTask& task : follow_ups) executor.Run(task.type, task.data, nullptr);
    } catch (const runtime::TaskFailure& error) {
      ++samples.failures;
      spdlog::warn("{}", error.what());
    }
  }
  samples.executor.push_back(FilesPerSecond(file_ids.size(), MonotonicSeconds() - started));
}

void MeasureCli(const Workspace& workspace, const Settings& settings, int run, Samples& samples) {
  BenchInstance instance(workspace.root / fmt::format("cli-{}", run), {});
  std::filesystem::path output = instance.root() / "index.json";
  double started = MonotonicSeconds();
  pid_t pid = Spawn({settings.msearch.string(), "--config", instance.config_file().string(),
                     "index", workspace.media.string(), "--once", "--json"},
                    output, {}, instance.root() / "index.err");
  std::optional<int> status = WaitExit(pid, 600);
  double seconds = MonotonicSeconds() - started;
  std::ifstream in(output);
  nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
  if (!status || !ExitedCleanly(*status) || report.is_discarded()) {
    fmt::print(stderr, "index_bench: msearch index --once failed; see {}\n",
               (instance.root() / "index.err").string());
    return;
  }
  int64_t indexed = report.value("indexed", int64_t{0});
  if (indexed != static_cast<int64_t>(workspace.files.size())) {
    fmt::print(stderr, "index_bench: msearch index --once indexed {} of {} files\n", indexed,
               workspace.files.size());
  }
  samples.cli.push_back(FilesPerSecond(workspace.files.size(), seconds));
}

void MeasureHuge(const Workspace& workspace, const Settings& settings, Samples& samples) {
  std::filesystem::path huge = settings.corpus / "images" / kHugeImageName;
  if (!std::filesystem::exists(huge)) return;
  double started = MonotonicSeconds();
  try {
    media::ProbeAndThumbnailResult result =
        media::ProbeAndThumbnail(huge, "image", workspace.root / "huge.jpg");
    if (samples.huge_ms.empty()) {
      fmt::print("huge PNG: {}x{}, thumbnail {}\n", result.info.width, result.info.height,
                 result.has_thumbnail ? "written" : "not written: " + result.thumbnail_error);
    }
  } catch (const media::MediaError& error) {
    fmt::print("huge PNG: probe failed: {}\n", error.what());
  }
  samples.huge_ms.push_back((MonotonicSeconds() - started) * 1000);
}

void PrintSlowest(const Samples& samples) {
  std::vector<std::pair<double, std::string>> medians;
  for (const auto& [name, times] : samples.per_image_ms) {
    medians.emplace_back(Summarize(times).median, name);
  }
  std::sort(medians.rbegin(), medians.rend());
  double total = 0;
  for (const auto& [ms, name] : medians) total += ms;
  fmt::print("\nslowest images, ProbeFile + MakeThumbnail, median ms (share of the total):\n");
  for (size_t i = 0; i < medians.size() && i < 10; ++i) {
    fmt::print("  {:>8.1f} ms  {:>5.1f} %  {}\n", medians[i].first, 100 * medians[i].first / total,
               medians[i].second);
  }
}

void PrintOwnMemory(const char* when) {
  std::optional<ProcessMemory> memory = ReadProcessMemory(getpid());
  if (!memory) return;
  fmt::print("  {:<44} RSS {:>6.1f} MiB, private {:>6.1f} MiB\n", when,
             static_cast<double>(memory->rss) / kMebibyte,
             static_cast<double>(memory->private_bytes) / kMebibyte);
}

Workspace PrepareWorkspace(const Settings& settings, const std::filesystem::path& root) {
  Workspace workspace;
  workspace.root = root;
  workspace.media = root / "media";
  workspace.files =
      CopyFiles(CorpusFiles(settings.corpus, "images"), workspace.media, settings.copies);
  BenchInstance instance(root / "instance", {workspace.media});
  workspace.config = config::LoadConfigFile(instance.config_file());
  return workspace;
}

}  // namespace
}  // namespace msearch::bench

int main(int argc, char** argv) {
  using namespace msearch;
  using namespace msearch::bench;
  Settings settings;
  CLI::App app{"Measures scan, probe and thumbnail speed on the corpus images"};
  app.add_option("--copies", settings.copies, "Copies of each corpus image")
      ->check(CLI::Range(1, 1000));
  app.add_option("--runs", settings.runs, "Runs of each measurement")->check(CLI::Range(1, 100));
  app.add_option("--corpus", settings.corpus, "Media corpus folder (with images/)");
  app.add_option("--msearch", settings.msearch, "msearch executable")->check(CLI::ExistingFile);
  app.add_flag("--skip-cli", settings.skip_cli, "Do not run 'msearch index --once'");
  app.add_flag("--keep", settings.keep, "Keep the scratch folder");
  CLI11_PARSE(app, argc, argv);
  if (!CorpusAvailable(settings.corpus, "index_bench")) return 0;

  spdlog::set_level(spdlog::level::err);
  ScratchDir scratch("msearch-index-bench");
  if (settings.keep) scratch.Keep();
  Workspace workspace = PrepareWorkspace(settings, scratch.path());
  media::EnsureMediaInitialized();

  fmt::print("index_bench: {} files ({} corpus images x {} copies), {} runs\n",
             workspace.files.size(), workspace.files.size() / settings.copies, settings.copies,
             settings.runs);
  fmt::print("machine: {}\nmsearch: {}\n\n", DescribeMachine(), settings.msearch.string());

  Samples samples;
  PrintOwnMemory("this process before the runs");
  for (int run = 0; run < settings.runs; ++run) {
    std::filesystem::path run_dir = scratch.path() / fmt::format("run-{}", run);
    std::filesystem::create_directories(run_dir / "thumbnails");
    store::Catalog catalog(run_dir / "catalog.db");
    std::vector<int64_t> file_ids = MeasureScans(workspace, catalog, samples);
    MeasureSeparate(workspace, run_dir / "thumbnails", samples);
    MeasureCombined(workspace, run_dir / "thumbnails", samples);
    MeasureExecutor(workspace, run_dir / "executor-thumbnails", catalog, file_ids, samples);
    if (!settings.skip_cli) MeasureCli(workspace, settings, run, samples);
    MeasureHuge(workspace, settings, samples);
  }
  PrintOwnMemory("this process after the runs");
  malloc_trim(0);
  PrintOwnMemory("after malloc_trim(0)");
  fmt::print("\n");

  PrintTableHeader(fmt::format("{} images", workspace.files.size()));
  PrintRow("scan (ScanOnce, new catalog)", Summarize(samples.scan), "files/s");
  PrintRow("rescan (ScanOnce, unchanged)", Summarize(samples.rescan), "files/s");
  PrintRow("ProbeFile + MakeThumbnail, 1 thread", Summarize(samples.separate), "files/s", 1);
  PrintRow("ProbeAndThumbnail, 1 thread", Summarize(samples.combined), "files/s", 1);
  PrintRow("TaskExecutor probe + thumbnail, 1 thread", Summarize(samples.executor), "files/s", 1);
  if (!samples.cli.empty()) {
    PrintRow("msearch index DIR --once --json", Summarize(samples.cli), "files/s", 1);
  }
  if (!samples.huge_ms.empty()) {
    PrintRow("huge PNG alone, ProbeAndThumbnail", Summarize(samples.huge_ms), "ms", 1);
  }
  if (samples.failures > 0) fmt::print("failures: {} (see the warnings above)\n", samples.failures);
  PrintSlowest(samples);
  fmt::print("\nmachine at the end: {}\n", DescribeMachine());
  return 0;
}
