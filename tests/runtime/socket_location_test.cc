#include "runtime/socket_location.h"

#include <cstdlib>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "config/config_loader.h"
#include "ipc/socket_path.h"

namespace msearch::runtime {
namespace {

namespace fs = std::filesystem;

// Sets or unsets an environment variable for one test and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

config::Config WithDataDir(const fs::path& data_dir) {
  config::Config config = config::DefaultConfig("/srv/msearch");
  config.storage.data_dir = data_dir;
  return config;
}

// A data folder whose default socket path would exceed the 107-byte limit.
fs::path LongDataDir(char filler) { return fs::path("/srv") / std::string(110, filler); }

TEST(SocketLocationTest, ExplicitPathWins) {
  config::Config config = WithDataDir(LongDataDir('a'));
  config.ipc.local_ipc.socket_path = "/run/custom/msearch-test.sock";
  EXPECT_EQ(ResolveSocketPath(config), fs::path("/run/custom/msearch-test.sock"));
}

TEST(SocketLocationTest, DefaultUnderDataDir) {
  EXPECT_EQ(ResolveSocketPath(WithDataDir("/var/lib/msearch")),
            fs::path("/var/lib/msearch/run") / ipc::kSocketFileName);
}

TEST(SocketLocationTest, RelativeDataDirBecomesAbsolute) {
  fs::path socket = ResolveSocketPath(WithDataDir("relative/data"));
  EXPECT_TRUE(socket.is_absolute()) << socket;
  EXPECT_EQ(socket, fs::current_path() / "relative/data/run" / ipc::kSocketFileName);
}

TEST(SocketLocationTest, LongDataDirUsesRuntimeDir) {
  ScopedEnv runtime_dir("XDG_RUNTIME_DIR", "/run/user/4242");
  fs::path socket = ResolveSocketPath(WithDataDir(LongDataDir('a')));
  EXPECT_EQ(socket.parent_path(), fs::path("/run/user/4242/msearch"));
  EXPECT_EQ(socket.extension(), ".sock");
  EXPECT_LE(socket.string().size(), ipc::kMaxSocketPathBytes);

  // The name depends on the data folder: same folder, same socket; another
  // folder, another socket.
  EXPECT_EQ(ResolveSocketPath(WithDataDir(LongDataDir('a'))), socket);
  EXPECT_NE(ResolveSocketPath(WithDataDir(LongDataDir('b'))), socket);
}

TEST(SocketLocationTest, LongDataDirWithoutRuntimeDirUsesTmp) {
  fs::path expected_parent = "/tmp/msearch-" + std::to_string(getuid());
  {
    ScopedEnv runtime_dir("XDG_RUNTIME_DIR", std::nullopt);
    fs::path socket = ResolveSocketPath(WithDataDir(LongDataDir('a')));
    EXPECT_EQ(socket.parent_path(), expected_parent);
    EXPECT_LE(socket.string().size(), ipc::kMaxSocketPathBytes);
  }
  {
    // A relative XDG_RUNTIME_DIR is not usable.
    ScopedEnv runtime_dir("XDG_RUNTIME_DIR", "run/user");
    EXPECT_EQ(ResolveSocketPath(WithDataDir(LongDataDir('a'))).parent_path(), expected_parent);
  }
}

TEST(SocketLocationTest, PathAtLimitStaysUnderDataDir) {
  // "/run/msearch.sock" adds 17 bytes, so a 90-byte data folder gives
  // exactly 107 bytes, the longest path a Unix socket takes.
  fs::path data_dir = fs::path("/") / std::string(89, 'd');
  ASSERT_EQ(data_dir.string().size(), 90u);
  fs::path socket = ResolveSocketPath(WithDataDir(data_dir));
  EXPECT_EQ(socket, data_dir / "run" / ipc::kSocketFileName);
  EXPECT_EQ(socket.string().size(), ipc::kMaxSocketPathBytes);

  fs::path longer = fs::path("/") / std::string(90, 'd');
  EXPECT_NE(ResolveSocketPath(WithDataDir(longer)).parent_path(), longer / "run");
}

}  // namespace
}  // namespace msearch::runtime
