#include <string>

#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "config/test_env.h"
#include "support/temp_dir.h"

namespace msearch::config {
namespace {

using testing::ScopedEnv;
using testing::WriteFile;

class ConfigPaths : public ::testing::Test {
 protected:
  msearch::testing::TempDir dir_;
  ScopedEnv home_{"MSEARCH_HOME", std::nullopt};
};

TEST_F(ConfigPaths, RelativeToFolderAboveConfig) {
  std::filesystem::path file = dir_ / "install" / "config" / "config.yml";
  WriteFile(file,
            "storage:\n  data_dir: var/data\n"
            "processes:\n  file_monitor:\n    watched_dirs: [photos, ../shared/media]\n");
  Config config = LoadConfigFile(file);
  EXPECT_EQ(config.base_dir, dir_ / "install");
  EXPECT_EQ(config.storage.data_dir, dir_ / "install" / "var" / "data");
  EXPECT_EQ(
      config.processes.file_monitor.watched_dirs,
      (std::vector<std::filesystem::path>{dir_ / "install" / "photos", dir_ / "shared" / "media"}));
  // Keys the file leaves out are anchored at the same folder.
  EXPECT_EQ(config.logging.dir, dir_ / "install" / "logs");
}

TEST_F(ConfigPaths, RelativeToOwnFolderElsewhere) {
  std::filesystem::path file = dir_ / "settings" / "msearch.yml";
  WriteFile(file, "storage:\n  data_dir: data\n");
  Config config = LoadConfigFile(file);
  EXPECT_EQ(config.base_dir, dir_ / "settings");
  EXPECT_EQ(config.storage.data_dir, dir_ / "settings" / "data");
  EXPECT_EQ(config.processes.file_monitor.watched_dirs[0], dir_ / "settings" / "samples");
}

TEST_F(ConfigPaths, RelativeFileNameResolvesAgainstCurrentFolder) {
  WriteFile(dir_ / "config" / "config.yml", "logging:\n  dir: out\n");
  testing::ScopedCurrentPath cwd(dir_.path());
  Config config = LoadConfigFile("config/config.yml");
  EXPECT_EQ(config.source, dir_ / "config" / "config.yml");
  EXPECT_EQ(config.base_dir, dir_.path());
  EXPECT_EQ(config.logging.dir, dir_ / "out");
}

TEST_F(ConfigPaths, MsearchHomeOverridesBase) {
  std::filesystem::path file = dir_ / "install" / "config" / "config.yml";
  WriteFile(file, "storage:\n  data_dir: data\nlogging:\n  dir: /abs/logs\n");
  ScopedEnv home("MSEARCH_HOME", (dir_ / "home").string());
  Config config = LoadConfigFile(file);
  EXPECT_EQ(config.base_dir, dir_ / "home");
  EXPECT_EQ(config.storage.data_dir, dir_ / "home" / "data");
  EXPECT_EQ(config.ipc.task_queue.path, dir_ / "home" / "data" / "task_queue.db");
  EXPECT_EQ(config.processes.file_monitor.watched_dirs[0], dir_ / "home" / "samples");
  // Absolute paths are kept as written.
  EXPECT_EQ(config.logging.dir, "/abs/logs");
}

TEST_F(ConfigPaths, EmptyMsearchHomeIgnored) {
  std::filesystem::path file = dir_ / "install" / "config" / "config.yml";
  WriteFile(file, "");
  ScopedEnv home("MSEARCH_HOME", "");
  EXPECT_EQ(LoadConfigFile(file).base_dir, dir_ / "install");
}

TEST_F(ConfigPaths, TildeExpandsToHome) {
  ScopedEnv user_home("HOME", (dir_ / "user").string());
  Config config = ParseConfig(
      "storage:\n  data_dir: ~/msearch-data\n"
      "processes:\n  file_monitor:\n    watched_dirs: [\"~\", \"~/Pictures\", \"~other/x\"]\n",
      "test.yml", "/base");
  EXPECT_EQ(config.storage.data_dir, dir_ / "user" / "msearch-data");
  const auto& dirs = config.processes.file_monitor.watched_dirs;
  ASSERT_EQ(dirs.size(), 3u);
  EXPECT_EQ(dirs[0], dir_ / "user");
  EXPECT_EQ(dirs[1], dir_ / "user" / "Pictures");
  // Only the current user's home is expanded, so "~other" is an ordinary name.
  EXPECT_EQ(dirs[2], std::filesystem::path("/base/~other/x"));
}

TEST_F(ConfigPaths, PathsAreNormalized) {
  Config config = ParseConfig("storage:\n  data_dir: ./a/../b//c/\n", "test.yml", "/base");
  EXPECT_EQ(config.storage.data_dir, "/base/b/c/");
  Config parent = ParseConfig("logging:\n  dir: ../logs\n", "test.yml", "/base/inner");
  EXPECT_EQ(parent.logging.dir, "/base/logs");
}

TEST_F(ConfigPaths, DataDirMovesStores) {
  Config config = ParseConfig("storage:\n  data_dir: /srv/msearch\n", "test.yml", "/base");
  EXPECT_EQ(config.storage.data_dir, "/srv/msearch");
  EXPECT_EQ(config.storage.catalog_path, "/srv/msearch/catalog.db");
  EXPECT_EQ(config.storage.thumbnail_dir, "/srv/msearch/thumbnails");
  EXPECT_EQ(config.ipc.task_queue.path, "/srv/msearch/task_queue.db");
  EXPECT_EQ(config.ipc.state_cache.path, "/srv/msearch/state_cache.db");
}

TEST_F(ConfigPaths, ExplicitStorePathsWinOverDataDir) {
  Config config = ParseConfig(
      "storage:\n  data_dir: /srv/msearch\n  catalog_path: /fast/catalog.db\n"
      "ipc:\n  task_queue:\n    path: queue.db\n",
      "test.yml", "/base");
  EXPECT_EQ(config.storage.catalog_path, "/fast/catalog.db");
  EXPECT_EQ(config.ipc.task_queue.path, "/base/queue.db");
  EXPECT_EQ(config.ipc.state_cache.path, "/srv/msearch/state_cache.db");
  EXPECT_EQ(config.storage.thumbnail_dir, "/srv/msearch/thumbnails");
}

TEST_F(ConfigPaths, EmptySocketPathStaysEmpty) {
  Config config = ParseConfig("ipc:\n  local_ipc:\n    socket_path: \"\"\n", "test.yml", "/base");
  EXPECT_TRUE(config.ipc.local_ipc.socket_path.empty());
}

}  // namespace
}  // namespace msearch::config
