#include <optional>

#include <gtest/gtest.h>

#include "common/process_info.h"
#include "config/config_loader.h"
#include "config/test_env.h"
#include "support/temp_dir.h"

namespace msearch::config {
namespace {

using testing::ScopedCurrentPath;
using testing::ScopedEnv;
using testing::WriteFile;

// Each test runs in a fresh current folder with neither variable set.
class FindConfig : public ::testing::Test {
 protected:
  FindConfig() {
    WriteFile(local_, "api:\n  port: 1001\n");
    WriteFile(from_env_, "api:\n  port: 1002\n");
    WriteFile(from_flag_, "api:\n  port: 1003\n");
    cwd_.emplace(work_);
  }

  // True when a config/config.yml sits next to the test binary's parent
  // folder, which FindConfigFile would pick as the installed file.
  static bool InstalledFileExists() {
    return std::filesystem::exists(ExecutablePath().parent_path().parent_path() / "config" /
                                   "config.yml");
  }

  msearch::testing::TempDir dir_;
  std::filesystem::path work_ = dir_ / "work";
  std::filesystem::path local_ = work_ / "config" / "config.yml";
  std::filesystem::path from_env_ = dir_ / "env" / "env.yml";
  std::filesystem::path from_flag_ = dir_ / "flag" / "flag.yml";
  ScopedEnv config_env_{"MSEARCH_CONFIG", std::nullopt};
  ScopedEnv home_env_{"MSEARCH_HOME", std::nullopt};
  std::optional<ScopedCurrentPath> cwd_;
};

TEST_F(FindConfig, FlagWins) {
  ScopedEnv env("MSEARCH_CONFIG", from_env_.string());
  EXPECT_EQ(FindConfigFile(from_flag_), from_flag_);
}

TEST_F(FindConfig, FlagReturnedEvenIfMissing) {
  // A missing file named on the command line is an error for the loader to
  // report, not a reason to fall back to another file.
  std::filesystem::path missing = dir_ / "missing.yml";
  EXPECT_EQ(FindConfigFile(missing), missing);
  EXPECT_THROW(LoadConfig(missing), ConfigError);
}

TEST_F(FindConfig, EnvironmentOverLocal) {
  ScopedEnv env("MSEARCH_CONFIG", from_env_.string());
  EXPECT_EQ(FindConfigFile(std::nullopt), from_env_);
  EXPECT_EQ(LoadConfig(std::nullopt).api.port, 1002);
}

TEST_F(FindConfig, EmptyEnvironmentIgnored) {
  ScopedEnv env("MSEARCH_CONFIG", "");
  EXPECT_EQ(FindConfigFile(std::nullopt),
            std::filesystem::current_path() / "config" / "config.yml");
}

TEST_F(FindConfig, LocalFileWhenNothingElse) {
  std::optional<std::filesystem::path> found = FindConfigFile(std::nullopt);
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(std::filesystem::equivalent(*found, local_));
  Config config = LoadConfig(std::nullopt);
  EXPECT_EQ(config.api.port, 1001);
  EXPECT_TRUE(std::filesystem::equivalent(config.base_dir, work_));
}

TEST_F(FindConfig, LoadConfigUsesFlag) {
  ScopedEnv env("MSEARCH_CONFIG", from_env_.string());
  EXPECT_EQ(LoadConfig(from_flag_).api.port, 1003);
}

TEST_F(FindConfig, NoFileGivesDefaults) {
  if (InstalledFileExists()) GTEST_SKIP() << "an installed config.yml exists next to the binary";
  std::filesystem::remove(local_);
  EXPECT_FALSE(FindConfigFile(std::nullopt).has_value());
  Config config = LoadConfig(std::nullopt);
  EXPECT_TRUE(config.source.empty());
  EXPECT_TRUE(std::filesystem::equivalent(config.base_dir, work_));
  EXPECT_EQ(config.api.port, 8000);
}

TEST_F(FindConfig, NoFileDefaultsUnderMsearchHome) {
  if (InstalledFileExists()) GTEST_SKIP() << "an installed config.yml exists next to the binary";
  std::filesystem::remove(local_);
  ScopedEnv home("MSEARCH_HOME", (dir_ / "home").string());
  Config config = LoadConfig(std::nullopt);
  EXPECT_EQ(config.base_dir, dir_ / "home");
  EXPECT_EQ(config.storage.data_dir, dir_ / "home" / "data");
}

}  // namespace
}  // namespace msearch::config
