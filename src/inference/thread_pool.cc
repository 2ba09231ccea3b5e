#include "inference/thread_pool.h"

#include <algorithm>

namespace msearch::inference {
namespace {

// Spin iterations before a waiting thread sleeps: roughly 20-50 microseconds,
// longer than the gap between two loops of a forward pass and far shorter than
// a time slice, so a loaded machine loses little to spinning.
constexpr int kSpinIterations = 4000;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  const int workers = std::max(num_threads, 1) - 1;
  workers_.reserve(workers);
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this, i] { WorkerLoop(i + 1); });
}

ThreadPool::~ThreadPool() {
  stopping_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::TakeIndices(int thread) {
  for (;;) {
    int i = next_index_.fetch_add(1, std::memory_order_relaxed);
    if (i >= count_) return;
    function_(context_, i, thread);
  }
}

void ThreadPool::Run(int count, Function function, void* context) {
  function_ = function;
  context_ = context;
  count_ = count;
  next_index_.store(0, std::memory_order_relaxed);
  busy_workers_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  // The release increment publishes the job fields above to the workers.
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();

  TakeIndices(0);

  for (int spin = 0; spin < kSpinIterations; ++spin) {
    if (busy_workers_.load(std::memory_order_acquire) == 0) return;
    CpuRelax();
  }
  for (int busy = busy_workers_.load(std::memory_order_acquire); busy != 0;
       busy = busy_workers_.load(std::memory_order_acquire)) {
    busy_workers_.wait(busy, std::memory_order_acquire);
  }
}

void ThreadPool::WorkerLoop(int thread) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t current = generation_.load(std::memory_order_acquire);
    for (int spin = 0; current == seen && spin < kSpinIterations; ++spin) {
      CpuRelax();
      current = generation_.load(std::memory_order_acquire);
    }
    while (current == seen) {
      generation_.wait(seen, std::memory_order_acquire);
      current = generation_.load(std::memory_order_acquire);
    }
    seen = current;
    if (stopping_.load(std::memory_order_acquire)) return;
    TakeIndices(thread);
    if (busy_workers_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      busy_workers_.notify_one();
    }
  }
}

}  // namespace msearch::inference
