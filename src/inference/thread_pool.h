#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <vector>

namespace msearch::inference {

// A fixed set of threads that run one parallel loop at a time. The calling
// thread takes part, so a pool of N threads starts N - 1 workers, and a pool of
// one thread runs every loop inline. Idle workers spin briefly after a loop
// (the next loop of a forward pass usually follows within microseconds) and
// then sleep on a futex until the next one.
//
// ParallelFor returns as soon as every index has run: the caller waits for
// workers that are running an index, never for a worker that has not
// started. On a busy machine a worker may not get a core for
// milliseconds, and the caller then runs the indices itself.
//
// Thread-safety: ParallelFor must not be called from two threads at once, nor
// from inside a loop body; the models serialise their calls.
class ThreadPool {
 public:
  explicit ThreadPool(int num_threads);
  ~ThreadPool();

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls body(i) or body(i, thread) for every i in [0, count), spread over
  // the threads (each takes the next index from a shared counter), and returns
  // when all calls have returned. `thread` is in [0, num_threads()) and
  // identifies the calling thread, for per-thread scratch memory; the caller
  // of ParallelFor is thread 0. `body` must not throw.
  template <typename Body>
  void ParallelFor(int count, Body&& body) {
    using BodyType = std::remove_reference_t<Body>;
    if (count <= 0) return;
    Function function = [](void* context, int i, int thread) {
      BodyType& callable = *static_cast<BodyType*>(context);
      if constexpr (std::is_invocable_v<BodyType&, int, int>) {
        callable(i, thread);
      } else {
        callable(i);
        static_cast<void>(thread);
      }
    };
    if (count == 1 || workers_.empty()) {
      for (int i = 0; i < count; ++i) function(&body, i, 0);
      return;
    }
    Run(count, function, &body);
  }

 private:
  using Function = void (*)(void*, int, int);

  void Run(int count, Function function, void* context);
  void WorkerLoop(int thread);
  void TakeIndices(int thread);

  std::vector<std::thread> workers_;
  // The current loop. function_ and context_ are written before the loop is
  // published in job_ and read only by a thread that has claimed an index of
  // it, which the caller waits for, so they never change under a reader.
  Function function_ = nullptr;
  void* context_ = nullptr;
  std::atomic<int> count_{0};
  // The loop's number in the high 32 bits and its next unclaimed index in
  // the low 32 bits. An index is claimed with a compare-and-swap, so a
  // thread with a stale value of an earlier loop cannot claim anything.
  std::atomic<uint64_t> job_{0};
  uint32_t loops_started_ = 0;
  // Indices of the current loop not finished yet.
  std::atomic<int> unfinished_{0};
  // Counter that changes when a loop starts or the pool stops. Idle workers
  // wait on it.
  std::atomic<uint32_t> wake_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace msearch::inference
