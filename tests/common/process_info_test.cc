#include "common/process_info.h"

#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace msearch {
namespace {

TEST(ResidentBytes, SelfIsPositive) {
  std::optional<uint64_t> before = ResidentBytes(getpid());
  ASSERT_TRUE(before.has_value());
  EXPECT_GT(*before, 0u);
  // The value is in bytes, not kB: a running test binary uses over 1 MiB.
  EXPECT_GT(*before, 1024u * 1024u);
}

TEST(ResidentBytes, GrowsWhenMemoryIsTouched) {
  uint64_t before = ResidentBytes(getpid()).value();
  std::vector<char> block(64 * 1024 * 1024, 1);
  uint64_t after = ResidentBytes(getpid()).value();
  EXPECT_GT(after, before + 32u * 1024u * 1024u);
  EXPECT_EQ(block[block.size() - 1], 1);
}

TEST(ResidentBytes, MissingProcessIsNullopt) {
  // Linux pids never reach this value (pid_max is at most 2^22).
  EXPECT_FALSE(ResidentBytes(2000000000).has_value());
}

TEST(ExecutablePath, IsThisTestBinary) {
  std::filesystem::path path = ExecutablePath();
  EXPECT_TRUE(path.is_absolute());
  EXPECT_EQ(path.filename(), "common_test");
}

TEST(ProcessAlive, SelfAndMissing) {
  EXPECT_TRUE(ProcessAlive(getpid()));
  EXPECT_FALSE(ProcessAlive(0));
  EXPECT_FALSE(ProcessAlive(-5));
  EXPECT_FALSE(ProcessAlive(2000000000));
}

TEST(ProcessAlive, ZombieIsNotAlive) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  // Until it is reaped the child is a zombie. Wait for that state without
  // reaping it.
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  EXPECT_FALSE(ProcessAlive(child));
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_FALSE(ProcessAlive(child));
}

}  // namespace
}  // namespace msearch
