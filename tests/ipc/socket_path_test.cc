#include "ipc/socket_path.h"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "support/temp_dir.h"

namespace msearch::ipc {
namespace {

using msearch::testing::TempDir;

// Sets or unsets an environment variable for one test and restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

mode_t ModeOf(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

// Runs PrepareSocketDir and returns its error message, or "no error".
std::string PrepareError(const std::filesystem::path& dir) {
  try {
    PrepareSocketDir(dir);
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

TEST(DefaultSocketDir, UsesXdgRuntimeDir) {
  TempDir runtime;
  ScopedEnv env("XDG_RUNTIME_DIR", runtime.path().c_str());
  EXPECT_EQ(DefaultSocketDir("/var/lib/msearch"), runtime.path() / "msearch");
  EXPECT_EQ(DefaultSocketPath("/var/lib/msearch"), runtime.path() / "msearch" / "msearch.sock");
}

TEST(DefaultSocketDir, FallsBackToDataDir) {
  ScopedEnv env("XDG_RUNTIME_DIR", nullptr);
  EXPECT_EQ(DefaultSocketDir("/var/lib/msearch"), "/var/lib/msearch/run");
  EXPECT_EQ(DefaultSocketDir("data"), std::filesystem::current_path() / "data" / "run");
}

TEST(DefaultSocketDir, IgnoresUnusableXdgRuntimeDir) {
  TempDir temp;
  std::filesystem::path file = temp / "file";
  { std::ofstream(file) << "x"; }
  for (std::string value :
       {std::string(""), std::string("relative/dir"), (temp / "missing").string(), file.string()}) {
    ScopedEnv env("XDG_RUNTIME_DIR", value.c_str());
    EXPECT_EQ(DefaultSocketDir("/data"), "/data/run") << "XDG_RUNTIME_DIR=" << value;
  }
}

TEST(DefaultSocketDir, IgnoresRuntimeDirOfOtherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to create a directory owned by another user";
  TempDir temp;
  ASSERT_EQ(::chown(temp.path().c_str(), 65534, 65534), 0);
  ScopedEnv env("XDG_RUNTIME_DIR", temp.path().c_str());
  EXPECT_EQ(DefaultSocketDir("/data"), "/data/run");
}

TEST(PrepareSocketDir, CreatesPrivateDirectory) {
  TempDir temp;
  std::filesystem::path dir = temp / "data" / "run";
  PrepareSocketDir(dir);
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  EXPECT_EQ(ModeOf(dir), 0700u);
  // A second call on the existing directory succeeds.
  PrepareSocketDir(dir);
  EXPECT_EQ(ModeOf(dir), 0700u);
}

TEST(PrepareSocketDir, TightensExistingMode) {
  TempDir temp;
  std::filesystem::path dir = temp / "run";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  PrepareSocketDir(dir);
  EXPECT_EQ(ModeOf(dir), 0700u);
}

TEST(PrepareSocketDir, RejectsSymlink) {
  TempDir temp;
  std::filesystem::path target = temp / "target";
  std::filesystem::path link = temp / "run";
  ASSERT_EQ(::mkdir(target.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(target.c_str(), 0755), 0);
  std::filesystem::create_directory_symlink(target, link);

  std::string error = PrepareError(link);
  EXPECT_NE(error.find(link.string()), std::string::npos) << error;
  EXPECT_NE(error.find("symbolic link"), std::string::npos) << error;
  EXPECT_NE(error.find("ipc.local_ipc.socket_path"), std::string::npos) << error;
  // The link target is left alone.
  EXPECT_EQ(ModeOf(target), 0755u);
}

TEST(PrepareSocketDir, RejectsFile) {
  TempDir temp;
  std::filesystem::path file = temp / "run";
  { std::ofstream(file) << "x"; }
  std::string error = PrepareError(file);
  EXPECT_NE(error.find("not a directory"), std::string::npos) << error;
}

TEST(PrepareSocketDir, RejectsOtherOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to create a directory owned by another user";
  TempDir temp;
  std::filesystem::path dir = temp / "run";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);

  std::string error = PrepareError(dir);
  EXPECT_NE(error.find("owned by uid 65534"), std::string::npos) << error;
  EXPECT_NE(error.find(dir.string()), std::string::npos) << error;
  EXPECT_EQ(ModeOf(dir), 0755u);
}

TEST(CheckSocketPathLength, Limit) {
  std::string at_limit = "/" + std::string(kMaxSocketPathBytes - 1, 'a');
  EXPECT_NO_THROW(CheckSocketPathLength(at_limit));

  std::string over = at_limit + "b";
  try {
    CheckSocketPathLength(over);
    FAIL() << "expected msearch::Error";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("108 bytes"), std::string::npos) << message;
    EXPECT_NE(message.find("107"), std::string::npos) << message;
    EXPECT_NE(message.find("data_dir"), std::string::npos) << message;
    EXPECT_NE(message.find("ipc.local_ipc.socket_path"), std::string::npos) << message;
  }
  EXPECT_THROW(CheckSocketPathLength(""), Error);
}

}  // namespace
}  // namespace msearch::ipc
