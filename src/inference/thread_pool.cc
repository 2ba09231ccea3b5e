#include "inference/thread_pool.h"

#include <algorithm>

namespace msearch::inference {
namespace {

// Spin iterations before a waiting thread sleeps, about 100 microseconds on
// a Zen 4 core (measured). That is longer than the gap between two loops of
// a forward pass and far shorter than a time slice, so a loaded machine
// loses little to spinning.
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
  wake_.fetch_add(1, std::memory_order_acq_rel);
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::TakeIndices(int thread) {
  uint64_t job = job_.load(std::memory_order_acquire);
  for (;;) {
    const uint32_t index = static_cast<uint32_t>(job);
    if (index >= static_cast<uint32_t>(count_.load(std::memory_order_acquire))) return;
    // On failure `job` is reloaded: another thread claimed the index, or a
    // new loop started. In the second case count_ above may already belong
    // to the new loop, but then (acquire) the closing store that Run makes
    // before changing count_ is visible, so the exchange cannot succeed.
    if (!job_.compare_exchange_weak(job, job + 1, std::memory_order_acq_rel,
                                    std::memory_order_acquire)) {
      continue;
    }
    function_(context_, static_cast<int>(index), thread);
    if (unfinished_.fetch_sub(1, std::memory_order_acq_rel) == 1) unfinished_.notify_all();
    job = job_.load(std::memory_order_acquire);
  }
}

void ThreadPool::Run(int count, Function function, void* context) {
  const uint64_t loop = static_cast<uint64_t>(++loops_started_) << 32;
  // Closes the previous loop's value (its index bits become the largest
  // index, which no count exceeds) before count_ changes.
  job_.store(loop | 0xFFFFFFFFu, std::memory_order_relaxed);
  count_.store(count, std::memory_order_release);
  function_ = function;
  context_ = context;
  unfinished_.store(count, std::memory_order_relaxed);
  // The release store publishes the fields above with the new loop number.
  job_.store(loop, std::memory_order_release);
  wake_.fetch_add(1, std::memory_order_acq_rel);
  wake_.notify_all();

  TakeIndices(0);

  // Every index is claimed now, so only workers still running one remain.
  for (int spin = 0; spin < kSpinIterations; ++spin) {
    if (unfinished_.load(std::memory_order_acquire) == 0) return;
    CpuRelax();
  }
  for (int left = unfinished_.load(std::memory_order_acquire); left != 0;
       left = unfinished_.load(std::memory_order_acquire)) {
    unfinished_.wait(left, std::memory_order_acquire);
  }
}

void ThreadPool::WorkerLoop(int thread) {
  uint32_t seen = 0;
  for (;;) {
    uint32_t current = wake_.load(std::memory_order_acquire);
    for (int spin = 0; current == seen && spin < kSpinIterations; ++spin) {
      CpuRelax();
      current = wake_.load(std::memory_order_acquire);
    }
    while (current == seen) {
      wake_.wait(seen, std::memory_order_acquire);
      current = wake_.load(std::memory_order_acquire);
    }
    seen = current;
    if (stopping_.load(std::memory_order_acquire)) return;
    TakeIndices(thread);
  }
}

}  // namespace msearch::inference
