// Throughput of the SQLite task queue (msearch::queue::TaskQueue).
//
// Each scenario runs --runs times on a fresh database file and prints the
// median, min and max rate in tasks per second:
// - enqueue, batches of 1000: EnqueueBatch with 1000 tasks per transaction.
// - enqueue, one per transaction: Enqueue of at most 5000 tasks.
// - round trip, N workers, claim C: this process enqueues in batches of 100
//   while N forked worker processes, each with its own connection, Claim up
//   to C tasks at a time and Complete each one. The rate is tasks divided by
//   the wall time until every task is completed. The task worker of msearch
//   claims one task at a time (C = 1).
//
// Usage: queue_bench [--tasks N] [--runs R] [--dir PATH]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "queue/task_queue.h"
#include "support/bench_paths.h"
#include "support/bench_stats.h"
#include "support/machine_info.h"

namespace msearch::bench {
namespace {

using queue::ClaimedTask;
using queue::NewTask;
using queue::QueueOptions;
using queue::TaskQueue;

constexpr size_t kEnqueueBatch = 1000;
constexpr size_t kProducerBatch = 100;

struct Settings {
  size_t tasks = 20000;
  int runs = 5;
  std::filesystem::path dir;
};

QueueOptions BenchOptions() {
  QueueOptions options;
  options.max_size = 0;
  options.global_running_limit = 0;
  return options;
}

NewTask MakeTask(size_t n) {
  NewTask task;
  task.type = "probe";
  task.priority = static_cast<int>(n % 12);
  task.data = {{"path", "/media/bench/file-" + std::to_string(n) + ".jpg"}, {"n", n}};
  task.dedupe_key = "probe:" + std::to_string(n);
  task.sender = "queue_bench";
  task.sender_type = "bench";
  return task;
}

// A fresh database path for one run; the previous run's files are removed.
std::filesystem::path FreshPath(const Settings& settings) {
  std::filesystem::path path = settings.dir / "bench_queue.db";
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(path.string() + suffix);
  }
  std::filesystem::remove(settings.dir / "producer_done");
  return path;
}

double EnqueueBatched(const Settings& settings) {
  std::filesystem::path path = FreshPath(settings);
  TaskQueue queue(path, BenchOptions());
  std::vector<NewTask> batch;
  double start = MonotonicSeconds();
  for (size_t n = 0; n < settings.tasks; ++n) {
    batch.push_back(MakeTask(n));
    if (batch.size() == kEnqueueBatch || n + 1 == settings.tasks) {
      queue.EnqueueBatch(batch);
      batch.clear();
    }
  }
  return static_cast<double>(settings.tasks) / (MonotonicSeconds() - start);
}

double EnqueueSingle(const Settings& settings) {
  std::filesystem::path path = FreshPath(settings);
  TaskQueue queue(path, BenchOptions());
  size_t count = std::min<size_t>(settings.tasks, 5000);
  double start = MonotonicSeconds();
  for (size_t n = 0; n < count; ++n) queue.Enqueue(MakeTask(n));
  return static_cast<double>(count) / (MonotonicSeconds() - start);
}

// Claims and completes until the producer is done and nothing is pending.
int RunWorker(const std::filesystem::path& path, const std::filesystem::path& done_marker,
              size_t claim_batch) {
  try {
    TaskQueue queue(path, BenchOptions());
    std::string worker_id = "bench-worker-" + std::to_string(getpid());
    const std::vector<std::string> any_type;
    while (true) {
      std::vector<ClaimedTask> claimed = queue.Claim(worker_id, any_type, claim_batch);
      for (const ClaimedTask& task : claimed) {
        queue.Complete(task.id, worker_id, {{"ok", true}});
      }
      if (!claimed.empty()) continue;
      if (std::filesystem::exists(done_marker) && !queue.HasClaimableWork(any_type)) return 0;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench worker %d failed: %s\n", getpid(), error.what());
    return 1;
  }
}

double RoundTrips(const Settings& settings, int worker_count, size_t claim_batch) {
  std::filesystem::path path = FreshPath(settings);
  std::filesystem::path done_marker = settings.dir / "producer_done";
  { TaskQueue create(path, BenchOptions()); }

  double start = MonotonicSeconds();
  std::vector<pid_t> workers;
  for (int i = 0; i < worker_count; ++i) {
    pid_t pid = fork();
    if (pid == 0) _exit(RunWorker(path, done_marker, claim_batch));
    if (pid < 0) {
      std::perror("fork");
      std::exit(1);
    }
    workers.push_back(pid);
  }

  TaskQueue producer(path, BenchOptions());
  std::vector<NewTask> batch;
  for (size_t n = 0; n < settings.tasks; ++n) {
    batch.push_back(MakeTask(n));
    if (batch.size() == kProducerBatch || n + 1 == settings.tasks) {
      producer.EnqueueBatch(batch);
      batch.clear();
    }
  }
  std::FILE* marker = std::fopen(done_marker.c_str(), "w");
  if (marker != nullptr) std::fclose(marker);

  bool failed = false;
  for (pid_t pid : workers) {
    int status = 0;
    waitpid(pid, &status, 0);
    failed = failed || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  }
  double elapsed = MonotonicSeconds() - start;

  int64_t completed = producer.Stats().by_status["completed"];
  if (failed || completed != static_cast<int64_t>(settings.tasks)) {
    std::fprintf(stderr, "round trip run invalid: %lld of %zu tasks completed%s\n",
                 static_cast<long long>(completed), settings.tasks,
                 failed ? ", a worker failed" : "");
    std::exit(1);
  }
  return static_cast<double>(settings.tasks) / elapsed;
}

void Report(const std::string& name, const Settings& settings, const std::function<double()>& run) {
  std::vector<double> rates;
  for (int i = 0; i < settings.runs; ++i) rates.push_back(run());
  PrintRow(name, Summarize(rates), "tasks/s");
}

}  // namespace
}  // namespace msearch::bench

int main(int argc, char** argv) {
  using namespace msearch::bench;
  Settings settings;
  CLI::App app{"Measures the throughput of the SQLite task queue"};
  app.add_option("--tasks", settings.tasks, "Tasks per run")->check(CLI::Range(1, 100000000));
  app.add_option("--runs", settings.runs, "Runs of each scenario")->check(CLI::Range(1, 1000));
  app.add_option("--dir", settings.dir,
                 "Folder of the database files (default: a new folder under the temporary "
                 "directory, removed at the end)");
  CLI11_PARSE(app, argc, argv);

  std::optional<ScratchDir> scratch;
  if (settings.dir.empty()) {
    scratch.emplace("queue-bench");
    settings.dir = scratch->path();
  }
  std::filesystem::create_directories(settings.dir);
  spdlog::set_level(spdlog::level::warn);

  fmt::print("queue_bench: SQLite {}, {} tasks per run, {} runs, files in {}\n",
             sqlite3_libversion(), settings.tasks, settings.runs, settings.dir.string());
  fmt::print("machine: {}\n\n", DescribeMachine());
  PrintTableHeader("scenario");

  Report("enqueue, batches of 1000", settings, [&] { return EnqueueBatched(settings); });
  Report("enqueue, one per transaction", settings, [&] { return EnqueueSingle(settings); });
  for (size_t claim_batch : {size_t{1}, size_t{16}}) {
    for (int workers : {1, 4}) {
      Report(fmt::format("round trip, {} worker{}, claim {}", workers, workers > 1 ? "s" : "",
                         claim_batch),
             settings, [&] { return RoundTrips(settings, workers, claim_batch); });
    }
  }
  fmt::print("\nmachine at the end: {}\n", DescribeMachine());
  return 0;
}
