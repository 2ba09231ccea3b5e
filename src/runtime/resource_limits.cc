#include "runtime/resource_limits.h"

#include <atomic>
#include <cerrno>
#include <cstring>

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

namespace msearch::runtime {
namespace {

std::atomic<bool> cpu_exceeded{false};
std::atomic<int> signals_since_exceeded{0};

// The kernel repeats SIGXCPU every CPU second past the soft limit, so the
// count measures how long the worker has ignored the first one.
void OnCpuLimit(int) {
  cpu_exceeded.store(true);
  if (signals_since_exceeded.fetch_add(1) >= TaskCpuBudget::kCpuGraceSeconds) {
    _exit(TaskCpuBudget::kExitCpuLimit);
  }
}

double UsedCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void SetSoftCpuLimit(rlim_t seconds) {
  rlimit limit{};
  getrlimit(RLIMIT_CPU, &limit);
  limit.rlim_cur = seconds;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_cur > limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
  }
  if (setrlimit(RLIMIT_CPU, &limit) != 0) {
    spdlog::warn("failed to set the CPU time limit to {} s: {}", seconds, std::strerror(errno));
  }
}

}  // namespace

void ApplyMemoryLimit(int64_t megabytes, std::string_view process_id) {
  if (megabytes <= 0) return;
  rlimit limit{};
  getrlimit(RLIMIT_AS, &limit);
  rlim_t bytes = static_cast<rlim_t>(megabytes) << 20;
  if (limit.rlim_max != RLIM_INFINITY && bytes > limit.rlim_max) bytes = limit.rlim_max;
  limit.rlim_cur = bytes;
  if (setrlimit(RLIMIT_AS, &limit) != 0) {
    spdlog::warn("{}: failed to limit memory to {} MiB: {}", process_id, megabytes,
                 std::strerror(errno));
    return;
  }
  spdlog::info("{}: address space limited to {} MiB", process_id, bytes >> 20);
}

TaskCpuBudget::TaskCpuBudget(int seconds) : seconds_(seconds) {
  struct sigaction action {};
  action.sa_handler = OnCpuLimit;
  sigemptyset(&action.sa_mask);
  sigaction(SIGXCPU, &action, nullptr);
}

TaskCpuBudget::~TaskCpuBudget() {
  Disarm();
  signal(SIGXCPU, SIG_DFL);
}

void TaskCpuBudget::Arm() {
  cpu_exceeded.store(false);
  signals_since_exceeded.store(0);
  // RLIMIT_CPU counts whole seconds of the process's lifetime, so the
  // budget starts from what earlier tasks used.
  SetSoftCpuLimit(static_cast<rlim_t>(UsedCpuSeconds()) + 1 + static_cast<rlim_t>(seconds_));
}

void TaskCpuBudget::Disarm() {
  SetSoftCpuLimit(RLIM_INFINITY);
  cpu_exceeded.store(false);
}

bool TaskCpuBudget::Exceeded() { return cpu_exceeded.load(); }

}  // namespace msearch::runtime
