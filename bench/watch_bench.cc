// Latency from copying a file into a watched folder of a running msearch
// until POST /api/v1/search/text finds it by name, and until its search hit
// carries a thumbnail (probe and thumbnail tasks done).
//
// msearch serve runs on a fresh data folder watching an empty folder, with
// processes.file_monitor.debounce_ms set by --debounce-ms (1000, the value in
// config/config.yml, unless given). Once the folder's first scan is done,
// each sample copies a corpus JPEG under a new unique name and polls the
// search every --poll-ms milliseconds. The debounce period is part of the
// latency: the monitor waits that long for a copied file to stop changing.
//
// Usage: watch_bench [--samples N] [--debounce-ms MS] [--poll-ms MS]
//                    [--corpus PATH] [--msearch PATH]

#include <chrono>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "common/clock.h"
#include "store/catalog.h"
#include "support/bench_instance.h"
#include "support/bench_paths.h"
#include "support/bench_stats.h"
#include "support/corpus_files.h"
#include "support/machine_info.h"
#include "support/serve_process.h"

namespace msearch::bench {
namespace {

constexpr double kSampleTimeout = 30;
constexpr char kSourceImage[] = "cat_chelsea_baseline.jpg";

struct Settings {
  int samples = 10;
  int debounce_ms = 1000;
  int poll_ms = 5;
  double gap_seconds = 0.5;
  std::filesystem::path corpus = DefaultCorpusDir();
  std::filesystem::path msearch = DefaultMsearchExecutable();
  bool keep = false;
};

// Waits until every watched directory has finished its first scan.
bool WaitMonitoring(const BenchInstance& instance) {
  store::Catalog catalog(instance.data_dir() / "catalog.db");
  double started = MonotonicSeconds();
  while (MonotonicSeconds() - started < kSampleTimeout) {
    std::vector<store::DirectoryRecord> directories = catalog.ListDirectories();
    bool ready = !directories.empty();
    for (const store::DirectoryRecord& directory : directories) {
      ready = ready && directory.state == "monitoring";
    }
    if (ready) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// The search hit whose file name is `name`, if the search returns it.
std::optional<nlohmann::json> FindHit(int port, const std::string& query, const std::string& name) {
  std::optional<nlohmann::json> body =
      PostJson(port, "/api/v1/search/text", {{"query", query}, {"top_k", 5}});
  if (!body) return std::nullopt;
  for (const nlohmann::json& hit : body->value("results", nlohmann::json::array())) {
    if (hit.value("file_name", "") == name) return hit;
  }
  return std::nullopt;
}

struct Latency {
  std::optional<double> findable;
  std::optional<double> thumbnail;
};

Latency MeasureOne(const BenchInstance& instance, const std::filesystem::path& source,
                   const std::filesystem::path& watched, int sample, const Settings& settings) {
  // Letters around the numbers keep one token from being a substring of another.
  std::string token = fmt::format("wlat{}n{:03}x", getpid(), sample);
  std::string name = token + ".jpg";
  Latency latency;
  double started = MonotonicSeconds();
  std::filesystem::copy_file(source, watched / name);
  auto interval = std::chrono::milliseconds(settings.poll_ms);
  auto next_poll = std::chrono::steady_clock::now();
  while (MonotonicSeconds() - started < kSampleTimeout) {
    std::optional<nlohmann::json> hit = FindHit(instance.port(), token, name);
    double now = MonotonicSeconds() - started;
    if (hit && !latency.findable) latency.findable = now;
    if (hit && !hit->value("thumbnail_path", nlohmann::json()).is_null()) {
      latency.thumbnail = now;
      break;
    }
    next_poll += interval;
    std::this_thread::sleep_until(next_poll);
  }
  return latency;
}

}  // namespace
}  // namespace msearch::bench

int main(int argc, char** argv) {
  using namespace msearch;
  using namespace msearch::bench;
  Settings settings;
  CLI::App app{"Measures the latency from a file copy into a watched folder to a search hit"};
  app.add_option("--samples", settings.samples, "Files copied, one at a time")
      ->check(CLI::Range(1, 1000));
  app.add_option("--debounce-ms", settings.debounce_ms,
                 "processes.file_monitor.debounce_ms of the instance, in milliseconds")
      ->check(CLI::Range(0, 60000));
  app.add_option("--poll-ms", settings.poll_ms, "Milliseconds between searches")
      ->check(CLI::Range(1, 1000));
  app.add_option("--corpus", settings.corpus, "Media corpus folder (with images/)");
  app.add_option("--msearch", settings.msearch, "msearch executable")->check(CLI::ExistingFile);
  app.add_flag("--keep", settings.keep, "Keep the scratch folder (logs, databases)");
  CLI11_PARSE(app, argc, argv);
  if (!CorpusAvailable(settings.corpus, "watch_bench")) return 0;

  fmt::print("watch_bench: {} samples, debounce_ms {}, search polled every {} ms\n",
             settings.samples, settings.debounce_ms, settings.poll_ms);
  fmt::print("machine: {}\nmsearch: {}\n\n", DescribeMachine(), settings.msearch.string());

  ScratchDir scratch("msearch-watch-bench");
  if (settings.keep) scratch.Keep();
  std::filesystem::path watched = scratch.path() / "watched";
  std::filesystem::create_directories(watched);
  BenchInstance instance(scratch.path() / "instance", {watched}, settings.debounce_ms);
  std::vector<double> findable, thumbnail;
  try {
    ServeProcess serve(instance, settings.msearch);
    if (!WaitMonitoring(instance)) {
      fmt::print(stderr, "watch_bench: the watched folder was not being monitored after {:.0f} s\n",
                 kSampleTimeout);
      return 1;
    }
    std::filesystem::path source = settings.corpus / "images" / kSourceImage;
    for (int sample = 1; sample <= settings.samples; ++sample) {
      Latency latency = MeasureOne(instance, source, watched, sample, settings);
      if (latency.findable) findable.push_back(*latency.findable * 1000);
      if (latency.thumbnail) thumbnail.push_back(*latency.thumbnail * 1000);
      if (!latency.findable || !latency.thumbnail) {
        fmt::print(stderr, "watch_bench: sample {} timed out after {:.0f} s\n", sample,
                   kSampleTimeout);
      }
      std::this_thread::sleep_for(std::chrono::duration<double>(settings.gap_seconds));
    }
  } catch (const std::exception& error) {
    fmt::print(stderr, "watch_bench: {}\n", error.what());
    return 1;
  }

  PrintTableHeader("milliseconds from the copy");
  PrintRow("found by name (POST /api/v1/search/text)", Summarize(findable), "ms", 1);
  PrintRow("hit has a thumbnail", Summarize(thumbnail), "ms", 1);
  fmt::print("\nmachine at the end: {}\n", DescribeMachine());
  return 0;
}
