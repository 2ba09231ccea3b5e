// Idle memory of the msearch process tree (main process and its children),
// without models.
//
// Each run starts `msearch serve` on a fresh data folder and measures:
// - "empty folder": the watched folder is empty; sampled once every child
//   has registered and --settle seconds have passed;
// - "after indexing": the watched folder contains copies of the corpus images
//   (without the 20000 x 20000 PNG), videos and audio files; sampled once
//   GET /api/v1/system/stats reports every file catalogued, none pending
//   and no task active, plus --settle seconds. The time from the start until then is printed as
//   the service's indexing rate.
// A sample sums, over the tree, the proportional set size (Pss in
// /proc/PID/smaps_rollup, which splits each shared page among the processes
// mapping it, so the shared executable and libraries count once), the
// resident set size (Rss, which counts them once per process) and the
// private bytes. Each run's figure is the median of --samples samples taken
// 0.5 s apart.
//
// Usage: memory_bench [--runs N] [--settle S] [--samples K] [--corpus PATH]
//                     [--msearch PATH]

#include <chrono>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/clock.h"
#include "support/bench_instance.h"
#include "support/bench_paths.h"
#include "support/bench_stats.h"
#include "support/corpus_files.h"
#include "support/machine_info.h"
#include "support/process_memory.h"
#include "support/serve_process.h"

namespace msearch::bench {
namespace {

constexpr double kMebibyte = 1024.0 * 1024.0;
constexpr double kIndexTimeout = 600;

struct Settings {
  int runs = 5;
  double settle_seconds = 3;
  int samples = 5;
  std::filesystem::path corpus = DefaultCorpusDir();
  std::filesystem::path msearch = DefaultMsearchExecutable();
  bool keep = false;
};

// Tree totals of one run, in MiB, and the processes of its last sample.
struct TreeFigures {
  double pss = 0;
  double rss = 0;
  double private_bytes = 0;
  std::vector<ProcessMemory> processes;
};

TreeFigures SampleTree(pid_t main_pid, const Settings& settings) {
  std::vector<double> pss, rss, private_bytes;
  TreeFigures figures;
  for (int i = 0; i < settings.samples; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    figures.processes = ReadTreeMemory(main_pid);
    double pss_sum = 0, rss_sum = 0, private_sum = 0;
    for (const ProcessMemory& process : figures.processes) {
      pss_sum += static_cast<double>(process.pss) / kMebibyte;
      rss_sum += static_cast<double>(process.rss) / kMebibyte;
      private_sum += static_cast<double>(process.private_bytes) / kMebibyte;
    }
    pss.push_back(pss_sum);
    rss.push_back(rss_sum);
    private_bytes.push_back(private_sum);
  }
  figures.pss = Summarize(pss).median;
  figures.rss = Summarize(rss).median;
  figures.private_bytes = Summarize(private_bytes).median;
  return figures;
}

// Waits until the catalog lists `expected_files` files, none of them pending,
// and no task is active. Returns false on timeout.
bool WaitIndexed(int port, int64_t expected_files) {
  double started = MonotonicSeconds();
  while (MonotonicSeconds() - started < kIndexTimeout) {
    std::optional<nlohmann::json> stats = GetJson(port, "/api/v1/system/stats");
    if (stats && stats->value("total_files", int64_t{0}) == expected_files &&
        stats->value("pending_files", int64_t{-1}) == 0 &&
        stats->value("active_tasks", int64_t{-1}) == 0) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

struct RunResult {
  TreeFigures figures;
  double index_seconds = 0;  // from the spawn until every file was indexed
};

// One run; `media` empty means an empty watched folder.
RunResult MeasureRun(const Settings& settings, const std::vector<std::filesystem::path>& media) {
  ScratchDir scratch("msearch-memory-bench");
  if (settings.keep) scratch.Keep();
  std::filesystem::path watched = scratch.path() / "watched";
  std::filesystem::create_directories(watched);
  CopyFiles(media, watched, 1);
  BenchInstance instance(scratch.path() / "instance", {watched});

  double started = MonotonicSeconds();
  ServeProcess serve(instance, settings.msearch);
  RunResult result;
  if (!media.empty()) {
    if (!WaitIndexed(instance.port(), static_cast<int64_t>(media.size()))) {
      throw std::runtime_error(fmt::format("indexing {} files did not finish within {:.0f} s",
                                           media.size(), kIndexTimeout));
    }
    result.index_seconds = MonotonicSeconds() - started;
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(settings.settle_seconds));
  result.figures = SampleTree(serve.pid(), settings);
  return result;
}

void PrintScenario(const std::string& name, const std::vector<RunResult>& results) {
  std::vector<double> pss, rss, private_bytes;
  for (const RunResult& result : results) {
    pss.push_back(result.figures.pss);
    rss.push_back(result.figures.rss);
    private_bytes.push_back(result.figures.private_bytes);
  }
  PrintRow(name + ": PSS sum", Summarize(pss), "MiB", 1);
  PrintRow(name + ": RSS sum", Summarize(rss), "MiB", 1);
  PrintRow(name + ": private sum", Summarize(private_bytes), "MiB", 1);
}

void PrintProcesses(const std::string& name, const TreeFigures& figures) {
  fmt::print("\n{}, last run, per process (MiB):\n{:<22} {:>8} {:>8} {:>8} {:>8}\n", name,
             "process", "pid", "PSS", "RSS", "private");
  for (const ProcessMemory& process : figures.processes) {
    fmt::print("{:<22} {:>8} {:>8.1f} {:>8.1f} {:>8.1f}\n", process.name, process.pid,
               static_cast<double>(process.pss) / kMebibyte,
               static_cast<double>(process.rss) / kMebibyte,
               static_cast<double>(process.private_bytes) / kMebibyte);
  }
}

}  // namespace
}  // namespace msearch::bench

int main(int argc, char** argv) {
  using namespace msearch::bench;
  Settings settings;
  CLI::App app{"Measures the idle memory (PSS) of the msearch process tree"};
  app.add_option("--runs", settings.runs, "Runs of each scenario")->check(CLI::Range(1, 100));
  app.add_option("--settle", settings.settle_seconds,
                 "Seconds to wait after start-up or indexing before sampling")
      ->check(CLI::Range(0.0, 600.0));
  app.add_option("--samples", settings.samples, "Samples per run, 0.5 s apart")
      ->check(CLI::Range(1, 100));
  app.add_option("--corpus", settings.corpus, "Media corpus folder (with images/, video/, audio/)");
  app.add_option("--msearch", settings.msearch, "msearch executable")->check(CLI::ExistingFile);
  app.add_flag("--keep", settings.keep, "Keep each run's folder (logs, databases)");
  CLI11_PARSE(app, argc, argv);

  fmt::print("memory_bench: {} runs per scenario, settle {:.1f} s, {} samples per run\n",
             settings.runs, settings.settle_seconds, settings.samples);
  fmt::print("machine: {}\nmsearch: {}\n\n", DescribeMachine(), settings.msearch.string());

  std::vector<std::filesystem::path> media;
  if (CorpusAvailable(settings.corpus, "memory_bench: 'after indexing'")) {
    for (const char* folder : {"images", "video", "audio"}) {
      for (const auto& file : CorpusFiles(settings.corpus, folder)) media.push_back(file);
    }
  }

  std::vector<RunResult> empty_runs, indexed_runs;
  try {
    for (int run = 0; run < settings.runs; ++run) {
      empty_runs.push_back(MeasureRun(settings, {}));
      if (!media.empty()) indexed_runs.push_back(MeasureRun(settings, media));
    }
  } catch (const std::exception& error) {
    fmt::print(stderr, "memory_bench: {}\n", error.what());
    return 1;
  }

  PrintTableHeader("process tree, idle");
  PrintScenario("empty folder", empty_runs);
  if (!indexed_runs.empty()) {
    PrintScenario(fmt::format("after indexing {} files", media.size()), indexed_runs);
    std::vector<double> rates;
    for (const RunResult& result : indexed_runs) {
      rates.push_back(static_cast<double>(media.size()) / result.index_seconds);
    }
    PrintRow("service start + indexing, 2 task workers", Summarize(rates), "files/s", 1);
  }
  PrintProcesses("empty folder", empty_runs.back().figures);
  if (!indexed_runs.empty()) PrintProcesses("after indexing", indexed_runs.back().figures);
  fmt::print("\nmachine at the end: {}\n", DescribeMachine());
  return 0;
}
