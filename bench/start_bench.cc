// Cold-start time of msearch: from the start command until the REST API
// responds to GET /health with 200, with an empty watched folder so the figure
// is start-up alone.
//
// Each run uses a fresh data folder, configuration and port (see
// BenchInstance) and measures two ways of starting:
// - scripts/msearchctl start: when the script returns (it waits for the pid
//   file, which the main process writes once the API listens), when /health
//   first responds with 200, when every child has registered, and how long
//   msearchctl stop takes;
// - msearch serve spawned directly: the same without the shell script, and
//   the time from SIGTERM until the main process exits.
// /health is polled every --poll-ms milliseconds from the moment of the spawn.
//
// Usage: start_bench [--runs N] [--poll-ms MS] [--msearch PATH] [--msearchctl PATH]

#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/clock.h"
#include "support/bench_instance.h"
#include "support/bench_paths.h"
#include "support/bench_stats.h"
#include "support/child_process.h"
#include "support/machine_info.h"

namespace msearch::bench {
namespace {

constexpr double kStartTimeout = 60;

struct Settings {
  int runs = 10;
  int poll_ms = 5;
  std::filesystem::path msearch = DefaultMsearchExecutable();
  std::filesystem::path msearchctl = DefaultMsearchctl();
  bool keep = false;
};

// Seconds from the spawn to each event of one start.
struct StartTimes {
  std::optional<double> launcher_exited;  // msearchctl only
  std::optional<double> healthy;
  std::optional<double> registered;
};

// Polls /health until every child has registered and, when `launcher` is
// set, until that process has exited. Returns the times seen; a missing
// time means the event did not happen within kStartTimeout.
StartTimes WatchStart(const BenchInstance& instance, pid_t process, bool is_launcher,
                      double spawned_at, const Settings& settings) {
  StartTimes times;
  auto interval = std::chrono::milliseconds(settings.poll_ms);
  auto next_poll = std::chrono::steady_clock::now();
  while (MonotonicSeconds() - spawned_at < kStartTimeout) {
    if (is_launcher && !times.launcher_exited) {
      if (std::optional<int> status = TryReap(process)) {
        if (!ExitedCleanly(*status)) break;
        times.launcher_exited = MonotonicSeconds() - spawned_at;
      }
    } else if (!is_launcher && TryReap(process)) {
      break;
    }
    std::optional<nlohmann::json> health = GetJson(instance.port(), "/health", 1.0);
    double now = MonotonicSeconds() - spawned_at;
    if (health && !times.healthy) times.healthy = now;
    if (health && ChildrenRegistered(*health)) times.registered = now;
    bool launcher_done = !is_launcher || times.launcher_exited.has_value();
    if (times.registered && launcher_done) break;
    next_poll += interval;
    std::this_thread::sleep_until(next_poll);
  }
  return times;
}

struct Samples {
  std::vector<double> ctl_returned, ctl_healthy, ctl_registered, ctl_stop;
  std::vector<double> serve_healthy, serve_registered, serve_stop;
};

void Record(std::vector<double>& samples, const std::optional<double>& seconds, const char* event) {
  if (seconds) {
    samples.push_back(*seconds * 1000);
  } else {
    std::fprintf(stderr, "start_bench: %s did not happen within %.0f s\n", event, kStartTimeout);
  }
}

std::filesystem::path WatchedDir(const ScratchDir& scratch) {
  std::filesystem::path watched = scratch.path() / "watched";
  std::filesystem::create_directories(watched);
  return watched;
}

void RunWithMsearchctl(const Settings& settings, Samples& samples) {
  ScratchDir scratch("msearch-start-bench");
  if (settings.keep) scratch.Keep();
  BenchInstance instance(scratch.path() / "instance", {WatchedDir(scratch)});
  Environment environment = {{"MSEARCH_CONFIG", instance.config_file().string()},
                             {"MSEARCH_BIN", settings.msearch.string()},
                             {"MSEARCH_RUN_DIR", instance.ctl_dir().string()}};
  std::filesystem::path output = instance.root() / "msearchctl.out";

  double spawned_at = MonotonicSeconds();
  pid_t launcher = Spawn({settings.msearchctl.string(), "start"}, output, environment);
  StartTimes times = WatchStart(instance, launcher, true, spawned_at, settings);
  Record(samples.ctl_returned, times.launcher_exited, "msearchctl start returning");
  Record(samples.ctl_healthy, times.healthy, "GET /health 200 (msearchctl)");
  Record(samples.ctl_registered, times.registered, "child registration (msearchctl)");

  double stop_started = MonotonicSeconds();
  pid_t stopper = Spawn({settings.msearchctl.string(), "stop"}, output, environment);
  std::optional<int> status = WaitExit(stopper, kStartTimeout);
  if (!times.launcher_exited) WaitExit(launcher, 5);
  std::optional<double> stop_seconds;
  if (status && ExitedCleanly(*status)) stop_seconds = MonotonicSeconds() - stop_started;
  Record(samples.ctl_stop, stop_seconds, "msearchctl stop returning");
}

void RunServeDirectly(const Settings& settings, Samples& samples) {
  ScratchDir scratch("msearch-start-bench");
  if (settings.keep) scratch.Keep();
  BenchInstance instance(scratch.path() / "instance", {WatchedDir(scratch)});

  double spawned_at = MonotonicSeconds();
  pid_t main_pid = Spawn(instance.ServeArgv(settings.msearch), instance.serve_output());
  StartTimes times = WatchStart(instance, main_pid, false, spawned_at, settings);
  Record(samples.serve_healthy, times.healthy, "GET /health 200 (msearch serve)");
  Record(samples.serve_registered, times.registered, "child registration (msearch serve)");
  Record(samples.serve_stop, TerminateAndWait(main_pid, kStartTimeout),
         "exit after SIGTERM (msearch serve)");
}

}  // namespace
}  // namespace msearch::bench

int main(int argc, char** argv) {
  using namespace msearch::bench;
  Settings settings;
  CLI::App app{"Measures the cold-start time of msearch until GET /health responds with 200"};
  app.add_option("--runs", settings.runs, "Cold starts of each kind")->check(CLI::Range(1, 1000));
  app.add_option("--poll-ms", settings.poll_ms, "Milliseconds between GET /health requests")
      ->check(CLI::Range(1, 1000));
  app.add_option("--msearch", settings.msearch, "msearch executable")->check(CLI::ExistingFile);
  app.add_option("--msearchctl", settings.msearchctl, "scripts/msearchctl")
      ->check(CLI::ExistingFile);
  app.add_flag("--keep", settings.keep, "Keep each run's folder (logs, databases)");
  CLI11_PARSE(app, argc, argv);

  fmt::print("start_bench: {} runs of each kind, /health polled every {} ms\n", settings.runs,
             settings.poll_ms);
  fmt::print("machine: {}\nmsearch: {}\n\n", DescribeMachine(), settings.msearch.string());
  PrintTableHeader("milliseconds from the spawn");

  Samples samples;
  for (int run = 0; run < settings.runs; ++run) {
    // Alternating the two kinds exposes both to the same background load.
    RunWithMsearchctl(settings, samples);
    RunServeDirectly(settings, samples);
  }
  PrintRow("msearchctl start returned", Summarize(samples.ctl_returned), "ms", 1);
  PrintRow("msearchctl start: /health 200", Summarize(samples.ctl_healthy), "ms", 1);
  PrintRow("msearchctl start: children registered", Summarize(samples.ctl_registered), "ms", 1);
  PrintRow("msearchctl stop returned", Summarize(samples.ctl_stop), "ms", 1);
  PrintRow("msearch serve: /health 200", Summarize(samples.serve_healthy), "ms", 1);
  PrintRow("msearch serve: children registered", Summarize(samples.serve_registered), "ms", 1);
  PrintRow("msearch serve: exit after SIGTERM", Summarize(samples.serve_stop), "ms", 1);
  fmt::print("\nmachine at the end: {}\n", DescribeMachine());
  return 0;
}
