#pragma once

#include <cstdint>
#include <string_view>

namespace msearch::runtime {

// Limits the address space of this process to `megabytes` (RLIMIT_AS), so
// a file whose decoding needs more memory fails with an allocation error
// instead of exhausting the machine. 0 leaves the limit unchanged. Logs
// and continues when the system rejects the limit.
void ApplyMemoryLimit(int64_t megabytes, std::string_view process_id);

// A CPU-time budget for one task at a time, through the soft RLIMIT_CPU:
// when the process has used `seconds` more CPU time (all threads together)
// than at Arm, the kernel sends SIGXCPU, and Exceeded() becomes true. The
// worker's heartbeat thread checks it, fails the task and exits, because a
// decoder spinning on a file cannot be stopped from outside its thread.
// If the worker does not exit within kCpuGraceSeconds of the signal, the
// handler ends the process itself with kExitCpuLimit. One per process.
class TaskCpuBudget {
 public:
  static constexpr int kExitCpuLimit = 76;
  static constexpr int kCpuGraceSeconds = 15;

  explicit TaskCpuBudget(int seconds);
  ~TaskCpuBudget();
  TaskCpuBudget(const TaskCpuBudget&) = delete;
  TaskCpuBudget& operator=(const TaskCpuBudget&) = delete;

  // Starts the budget for the next task.
  void Arm();
  // Lifts the budget between tasks.
  void Disarm();
  // True once the armed task has used its budget.
  static bool Exceeded();

  int seconds() const { return seconds_; }

 private:
  int seconds_;
};

}  // namespace msearch::runtime
