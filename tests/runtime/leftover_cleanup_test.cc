#include "runtime/leftover_cleanup.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config_loader.h"
#include "ipc/shared_buffer.h"
#include "support/temp_dir.h"

namespace msearch::runtime {
namespace {

namespace fs = std::filesystem;

void Touch(const fs::path& path) {
  fs::create_directories(path.parent_path());
  FILE* file = std::fopen(path.c_str(), "w");
  ASSERT_NE(file, nullptr) << path;
  std::fputs("jpeg bytes", file);
  std::fclose(file);
}

// Creates a shared memory block in a child that is then killed, as a
// worker killed while it filled a block would leave it.
std::string BlockOfKilledChild(const std::string& prefix) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    ipc::SharedBuffer block = ipc::SharedBuffer::Create(prefix, 4096);
    std::string name = block.name() + "\n";
    if (write(fds[1], name.data(), name.size()) < 0) _exit(2);
    pause();
    _exit(0);
  }
  close(fds[1]);
  std::string name;
  char c = 0;
  while (read(fds[0], &c, 1) == 1 && c != '\n') name.push_back(c);
  close(fds[0]);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return name;
}

bool ShmExists(const std::string& name) { return fs::exists("/dev/shm" + name); }

TEST(LeftoverCleanup, RemovesUnfinishedThumbnailsAndOrphanBlocks) {
  testing::TempDir temp;
  config::Config config = config::DefaultConfig(temp.path());
  const fs::path thumbnails = config.storage.thumbnail_dir;
  Touch(thumbnails / "ab/abcd.jpg");
  Touch(thumbnails / "ab/abcd.jpg.tmp-1b2c");
  Touch(thumbnails / "ab/abcd/segment_0003.jpg.tmp-77");
  Touch(thumbnails / "ab/abcd/segment_0002.jpg");
  std::string orphan = BlockOfKilledChild(SharedBufferPrefixFor(config));
  config::Config other = config::DefaultConfig(temp / "other");
  std::string other_instance = BlockOfKilledChild(SharedBufferPrefixFor(other));
  ASSERT_TRUE(ShmExists(orphan));
  ASSERT_NE(SharedBufferPrefixFor(config), SharedBufferPrefixFor(other));

  LeftoverCounts counts = RemoveLeftovers(config);

  EXPECT_EQ(counts.temporary_files, 2);
  EXPECT_EQ(counts.shared_buffers, 1);
  EXPECT_TRUE(fs::exists(thumbnails / "ab/abcd.jpg"));
  EXPECT_TRUE(fs::exists(thumbnails / "ab/abcd/segment_0002.jpg"));
  EXPECT_FALSE(fs::exists(thumbnails / "ab/abcd.jpg.tmp-1b2c"));
  EXPECT_FALSE(fs::exists(thumbnails / "ab/abcd/segment_0003.jpg.tmp-77"));
  EXPECT_FALSE(ShmExists(orphan));
  EXPECT_TRUE(ShmExists(other_instance));  // another instance's block
  ipc::SharedBuffer::Unlink(other_instance);
}

TEST(LeftoverCleanup, MissingThumbnailFolderIsFine) {
  testing::TempDir temp;
  config::Config config = config::DefaultConfig(temp.path());
  LeftoverCounts counts = RemoveLeftovers(config);
  EXPECT_EQ(counts.temporary_files, 0);
}

}  // namespace
}  // namespace msearch::runtime
