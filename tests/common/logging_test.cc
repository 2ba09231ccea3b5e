#include "common/logging.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace msearch {
namespace {

using std::chrono::seconds;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream stream(path);
  std::stringstream text;
  text << stream.rdbuf();
  return text.str();
}

TEST(LogRateLimiter, PassesBurstThenDrops) {
  LogRateLimiter limiter(3, seconds(3600));
  size_t suppressed = 99;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(limiter.Allow("disk", &suppressed)) << "message " << i;
    EXPECT_EQ(suppressed, 0u);
  }
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(limiter.Allow("disk", &suppressed)) << i;
}

TEST(LogRateLimiter, KeysAreIndependent) {
  LogRateLimiter limiter(1, seconds(3600));
  size_t suppressed = 0;
  EXPECT_TRUE(limiter.Allow("a", &suppressed));
  EXPECT_FALSE(limiter.Allow("a", &suppressed));
  EXPECT_TRUE(limiter.Allow("b", &suppressed));
  EXPECT_FALSE(limiter.Allow("b", &suppressed));
}

TEST(LogRateLimiter, ZeroBurstDropsEverything) {
  LogRateLimiter limiter(0, seconds(3600));
  size_t suppressed = 0;
  EXPECT_FALSE(limiter.Allow("a", &suppressed));
  EXPECT_FALSE(limiter.Allow("a", &suppressed));
}

TEST(LogRateLimiter, ReportsSuppressedAfterWindow) {
  LogRateLimiter limiter(2, seconds(1));
  size_t suppressed = 0;
  ASSERT_TRUE(limiter.Allow("k", &suppressed));
  ASSERT_TRUE(limiter.Allow("k", &suppressed));
  size_t dropped = 0;
  for (int i = 0; i < 5; ++i) {
    // On a slow machine the window may already have passed, so count what the
    // limiter actually dropped.
    if (!limiter.Allow("k", &suppressed)) ++dropped;
  }
  // Poll until the window ends. Every refusal in between is also counted.
  auto deadline = std::chrono::steady_clock::now() + seconds(60);
  bool passed = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (limiter.Allow("k", &suppressed)) {
      passed = true;
      break;
    }
    ++dropped;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(passed) << "the window never ended";
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(suppressed, dropped);
  // The count restarts after it was reported.
  ASSERT_TRUE(limiter.Allow("k", &suppressed));
  EXPECT_EQ(suppressed, 0u);
}

TEST(InitLogging, WritesDefaultLoggerToFile) {
  testing::TempDir dir;
  auto previous = spdlog::default_logger();
  LoggingOptions options;
  options.log_dir = dir / "logs";
  options.level = "info";
  InitLogging(options, "logging_test", "main_process.log");
  spdlog::debug("below the level");
  spdlog::info("started with id {}", 42);
  spdlog::default_logger()->flush();
  std::string text = ReadFile(dir / "logs" / "main_process.log");
  EXPECT_NE(text.find("started with id 42"), std::string::npos) << text;
  EXPECT_NE(text.find("[logging_test:"), std::string::npos) << text;
  EXPECT_EQ(text.find("below the level"), std::string::npos) << text;
  spdlog::set_default_logger(previous);
}

TEST(OpenFileLogger, WritesUnderLogDirAndIsReused) {
  testing::TempDir dir;
  auto previous = spdlog::default_logger();
  LoggingOptions options;
  options.log_dir = dir / "logs";
  InitLogging(options, "logging_test_main", "main.log");
  auto logger = OpenFileLogger("logging_test_api", "api_server.log");
  ASSERT_NE(logger, nullptr);
  EXPECT_EQ(OpenFileLogger("logging_test_api", "api_server.log"), logger);
  logger->info("request served");
  logger->flush();
  std::string text = ReadFile(dir / "logs" / "api_server.log");
  EXPECT_NE(text.find("request served"), std::string::npos) << text;
  EXPECT_EQ(ReadFile(dir / "logs" / "main.log").find("request served"), std::string::npos);
  spdlog::drop("logging_test_api");
  spdlog::set_default_logger(previous);
}

}  // namespace
}  // namespace msearch
