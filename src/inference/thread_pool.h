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
  Function function_ = nullptr;
  void* context_ = nullptr;
  int count_ = 0;
  std::atomic<int> next_index_{0};
  std::atomic<int> busy_workers_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace msearch::inference
