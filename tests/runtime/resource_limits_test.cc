#include "runtime/resource_limits.h"

#include <chrono>
#include <cstdlib>
#include <functional>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace msearch::runtime {
namespace {

// Runs `body` in a child process, so limits never touch the test runner,
// and returns the child's exit code (-1 when it died from a signal).
int RunInChild(const std::function<int()>& body) {
  pid_t child = fork();
  if (child == 0) _exit(body());
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(MemoryLimit, FailsAllocationsAboveIt) {
  int code = RunInChild([] {
    ApplyMemoryLimit(512, "test");
    void* large = std::malloc(size_t{1} << 30);
    if (large != nullptr) return 1;
    void* small = std::malloc(size_t{16} << 20);
    if (small == nullptr) return 2;
    std::free(small);
    return 0;
  });
  EXPECT_EQ(code, 0);
}

TEST(TaskCpuBudget, FlagsTaskThatSpins) {
  int code = RunInChild([] {
    TaskCpuBudget budget(1);
    budget.Arm();
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    volatile uint64_t sink = 0;
    while (!TaskCpuBudget::Exceeded() && std::chrono::steady_clock::now() < give_up) {
      for (int i = 0; i < 100000; ++i) sink = sink + static_cast<uint64_t>(i);
    }
    if (!TaskCpuBudget::Exceeded()) return 1;
    budget.Disarm();
    return TaskCpuBudget::Exceeded() ? 2 : 0;
  });
  EXPECT_EQ(code, 0);
}

TEST(TaskCpuBudget, IdleTaskStaysWithinBudget) {
  int code = RunInChild([] {
    TaskCpuBudget budget(5);
    budget.Arm();
    usleep(200'000);
    return TaskCpuBudget::Exceeded() ? 1 : 0;
  });
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace msearch::runtime
