#include "ipc/shared_buffer.h"

#include <algorithm>
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace msearch::ipc {
namespace {

// A prefix of this test process, so parallel test runs never sweep each
// other's blocks.
std::string TestPrefix() { return fmt::format("msearchtest{}", getpid()); }

bool ShmExists(const std::string& name) {
  return std::filesystem::exists(std::filesystem::path("/dev/shm") / name.substr(1));
}

TEST(SharedBuffer, WriterAndReaderSeeTheSameBytes) {
  SharedBuffer writer = SharedBuffer::Create(TestPrefix(), 1 << 20);
  ASSERT_EQ(writer.size(), 1u << 20);
  for (size_t i = 0; i < writer.size(); ++i) {
    writer.bytes()[i] = static_cast<std::byte>(i * 31 % 251);
  }
  EXPECT_EQ(SharedBufferCreator(TestPrefix(), writer.name()), getpid());

  SharedBuffer reader = SharedBuffer::Open(writer.name());
  ASSERT_EQ(reader.size(), writer.size());
  EXPECT_TRUE(std::equal(reader.bytes().begin(), reader.bytes().end(), writer.bytes().begin()));

  EXPECT_TRUE(SharedBuffer::Unlink(writer.name()));
  EXPECT_FALSE(ShmExists(writer.name()));
  EXPECT_FALSE(SharedBuffer::Unlink(writer.name()));
  EXPECT_THROW(SharedBuffer::Open(writer.name()), SharedBufferError);
  // The mappings outlive the name.
  EXPECT_EQ(reader.bytes()[1000], static_cast<std::byte>(1000 * 31 % 251));
}

TEST(SharedBuffer, NamesAreUnique) {
  SharedBuffer first = SharedBuffer::Create(TestPrefix(), 16);
  SharedBuffer second = SharedBuffer::Create(TestPrefix(), 16);
  EXPECT_NE(first.name(), second.name());
  SharedBuffer::Unlink(first.name());
  SharedBuffer::Unlink(second.name());
}

TEST(SharedBuffer, RejectsInvalidNames) {
  for (const char* name :
       {"/etc/passwd", "../x-1-2", "/x", "/x-1-", "/x--1-2", "/x-1-2/y", "/a b-1-2", "/x-0-1"}) {
    EXPECT_THROW(SharedBuffer::Open(name), SharedBufferError) << name;
    EXPECT_THROW(SharedBuffer::Unlink(name), SharedBufferError) << name;
  }
  EXPECT_THROW(SharedBuffer::Create("", 16), SharedBufferError);
  EXPECT_THROW(SharedBuffer::Create("a/b", 16), SharedBufferError);
  EXPECT_THROW(SharedBuffer::Create(std::string(41, 'a'), 16), SharedBufferError);
}

// Creates a block in a child process that is then killed before it can
// hand the block over, and returns the block's name.
std::string BlockOfKilledProcess(const std::string& prefix) {
  int pipe_fds[2];
  EXPECT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  if (child == 0) {
    close(pipe_fds[0]);
    SharedBuffer block = SharedBuffer::Create(prefix, 4096);
    std::string name = block.name() + "\n";
    if (write(pipe_fds[1], name.data(), name.size()) < 0) _exit(2);
    pause();  // killed here, holding the block
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string name;
  char c = 0;
  while (read(pipe_fds[0], &c, 1) == 1 && c != '\n') name.push_back(c);
  close(pipe_fds[0]);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  return name;
}

TEST(SharedBuffer, SweepRemovesBlocksOfKilledWriters) {
  const std::string prefix = TestPrefix();
  std::string orphan = BlockOfKilledProcess(prefix);
  std::string handed_over = BlockOfKilledProcess(prefix);
  ASSERT_TRUE(ShmExists(orphan));
  SharedBuffer mine = SharedBuffer::Create(prefix, 64);

  std::vector<std::string> removed =
      SweepSharedBuffers(prefix, [&](const std::string& name) { return name == handed_over; });

  EXPECT_EQ(removed, std::vector<std::string>{orphan});
  EXPECT_FALSE(ShmExists(orphan));
  EXPECT_TRUE(ShmExists(handed_over));  // a pending task still names it
  EXPECT_TRUE(ShmExists(mine.name()));  // its writer is alive
  SharedBuffer::Unlink(handed_over);
  SharedBuffer::Unlink(mine.name());
}

TEST(SharedBuffer, SweepIgnoresOtherPrefixes) {
  std::string other = BlockOfKilledProcess(TestPrefix() + "b");
  SweepSharedBuffers(TestPrefix(), [](const std::string&) { return false; });
  EXPECT_TRUE(ShmExists(other));
  SharedBuffer::Unlink(other);
}

}  // namespace
}  // namespace msearch::ipc
