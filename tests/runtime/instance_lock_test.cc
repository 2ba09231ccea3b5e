#include "runtime/instance_lock.h"

#include <string>

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "process_runner.h"
#include "support/temp_dir.h"

namespace msearch::runtime {
namespace {

namespace fs = std::filesystem;

// Expects InstanceLock(data_dir) to throw naming `holder` and the folder.
void ExpectLockedBy(const fs::path& data_dir, pid_t holder) {
  try {
    InstanceLock second(data_dir);
    ADD_FAILURE() << "a second lock on " << data_dir << " was granted";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("already uses the data directory"), std::string::npos) << message;
    EXPECT_NE(message.find("pid " + std::to_string(holder)), std::string::npos) << message;
    EXPECT_NE(message.find(data_dir.string()), std::string::npos) << message;
  }
}

TEST(InstanceLockTest, CreatesDataDirAndLockFile) {
  testing::TempDir temp;
  fs::path data_dir = temp / "new" / "data";
  InstanceLock lock(data_dir);
  EXPECT_TRUE(fs::is_directory(data_dir));
  EXPECT_EQ(testing::ReadFile(data_dir / "msearch.lock"), std::to_string(getpid()));
}

TEST(InstanceLockTest, SecondHolderInProcessRejected) {
  testing::TempDir temp;
  {
    InstanceLock first(temp.path());
    ExpectLockedBy(temp.path(), getpid());
  }
  // Released with its owner.
  EXPECT_NO_THROW(InstanceLock again(temp.path()));
}

TEST(InstanceLockTest, OtherProcessExcluded) {
  testing::TempDir temp;
  InstanceLock mine(temp.path());
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Exit code 0: rejected as expected; 1: wrongly granted; 2: other error.
    try {
      InstanceLock theirs(temp.path());
      _exit(1);
    } catch (const Error& error) {
      _exit(std::string(error.what()).find("already uses the data directory") != std::string::npos
                ? 0
                : 2);
    } catch (...) {
      _exit(2);
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(InstanceLockTest, ReleasedWhenHolderKilled) {
  testing::TempDir temp;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    char outcome = 'E';
    try {
      InstanceLock lock(temp.path());
      outcome = 'L';
      [[maybe_unused]] ssize_t written = write(ready[1], &outcome, 1);
      while (true) pause();  // until SIGKILL
    } catch (...) {
      [[maybe_unused]] ssize_t written = write(ready[1], &outcome, 1);
    }
    _exit(1);
  }
  testing::KillGuard guard;
  guard.AddChild(child);
  close(ready[1]);
  pollfd descriptor{ready[0], POLLIN, 0};
  ASSERT_EQ(poll(&descriptor, 1, 60000), 1) << "the child did not report within 60 s";
  char outcome = 0;
  ASSERT_EQ(read(ready[0], &outcome, 1), 1);
  close(ready[0]);
  ASSERT_EQ(outcome, 'L') << "the child could not take the lock";

  ExpectLockedBy(temp.path(), child);

  // The kernel drops the lock with the process, even for SIGKILL.
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  InstanceLock after(temp.path());
  EXPECT_EQ(testing::ReadFile(temp / "msearch.lock"), std::to_string(getpid()));
}

}  // namespace
}  // namespace msearch::runtime
