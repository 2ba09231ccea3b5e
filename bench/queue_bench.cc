// Throughput of the SQLite task queue (msearch::queue::TaskQueue).
//
// Each scenario runs --runs times on a fresh file and prints the median, min
// and max rate in tasks per second:
// - enqueue, batches of 1000: EnqueueBatch with 1000 tasks per transaction.
// - enqueue, one per transaction: Enqueue of at most 5000 tasks.
// - round trip, N worker processes: this process enqueues in batches of 100
//   while N forked workers, each with its own connection, Claim up to 16 tasks
//   at a time and Complete each one. The rate is tasks divided by the wall
//   time until every task is completed.
//
// Usage: queue_bench [--tasks N] [--runs R] [--dir PATH]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "queue/task_queue.h"

namespace {

using msearch::MonotonicSeconds;
using msearch::queue::ClaimedTask;
using msearch::queue::NewTask;
using msearch::queue::QueueOptions;
using msearch::queue::TaskQueue;

constexpr size_t kEnqueueBatch = 1000;
constexpr size_t kProducerBatch = 100;
constexpr size_t kClaimBatch = 16;

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
int RunWorker(const std::filesystem::path& path, const std::filesystem::path& done_marker) {
  try {
    TaskQueue queue(path, BenchOptions());
    std::string worker_id = "bench-worker-" + std::to_string(getpid());
    const std::vector<std::string> any_type;
    while (true) {
      std::vector<ClaimedTask> claimed = queue.Claim(worker_id, any_type, kClaimBatch);
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

double RoundTrips(const Settings& settings, int worker_count) {
  std::filesystem::path path = FreshPath(settings);
  std::filesystem::path done_marker = settings.dir / "producer_done";
  { TaskQueue create(path, BenchOptions()); }

  double start = MonotonicSeconds();
  std::vector<pid_t> workers;
  for (int i = 0; i < worker_count; ++i) {
    pid_t pid = fork();
    if (pid == 0) _exit(RunWorker(path, done_marker));
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

void Report(const char* name, const Settings& settings, const std::function<double()>& run) {
  std::vector<double> rates;
  for (int i = 0; i < settings.runs; ++i) rates.push_back(run());
  std::sort(rates.begin(), rates.end());
  double median = rates[rates.size() / 2];
  if (rates.size() % 2 == 0) median = (rates[rates.size() / 2 - 1] + median) / 2;
  std::printf("%-34s %10.0f %10.0f %10.0f  tasks/s\n", name, median, rates.front(), rates.back());
  std::fflush(stdout);
}

bool ParseArguments(int argc, char** argv, Settings* settings) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return false;
    std::string value = argv[++i];
    if (arg == "--tasks") {
      settings->tasks = std::stoul(value);
    } else if (arg == "--runs") {
      settings->runs = std::stoi(value);
    } else if (arg == "--dir") {
      settings->dir = value;
    } else {
      return false;
    }
  }
  return settings->tasks > 0 && settings->runs > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  if (!ParseArguments(argc, argv, &settings)) {
    std::fprintf(stderr,
                 "usage: queue_bench [--tasks N (default 20000)] [--runs R (default 5)] "
                 "[--dir PATH (default: a new folder under the temporary directory)]\n");
    return 2;
  }
  bool own_dir = settings.dir.empty();
  if (own_dir) {
    std::string pattern = (std::filesystem::temp_directory_path() / "queue-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    settings.dir = pattern;
  }
  std::filesystem::create_directories(settings.dir);
  spdlog::set_level(spdlog::level::warn);

  std::printf("queue_bench: SQLite %s, %u hardware threads, %zu tasks per run, %d runs\n",
              sqlite3_libversion(), std::thread::hardware_concurrency(), settings.tasks,
              settings.runs);
  std::printf("files in %s\n\n", settings.dir.c_str());
  std::printf("%-34s %10s %10s %10s\n", "scenario", "median", "min", "max");

  Report("enqueue, batches of 1000", settings, [&] { return EnqueueBatched(settings); });
  Report("enqueue, one per transaction", settings, [&] { return EnqueueSingle(settings); });
  Report("round trip, 1 worker process", settings, [&] { return RoundTrips(settings, 1); });
  Report("round trip, 4 worker processes", settings, [&] { return RoundTrips(settings, 4); });

  if (own_dir) std::filesystem::remove_all(settings.dir);
  return 0;
}
