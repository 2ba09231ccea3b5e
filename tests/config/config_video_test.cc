#include <string>

#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "config/test_env.h"

namespace msearch::config {
namespace {

using testing::ParseError;

std::string DecodeThreadsYaml(const std::string& value) {
  return "media:\n  video:\n    decode_threads: " + value + "\n";
}

TEST(ConfigVideo, DecodeThreadsDefault) {
  Config config = ParseConfig("", "test.yml", "/base");
  EXPECT_EQ(config.media.video.decode_threads, 2);
}

TEST(ConfigVideo, DecodeThreadsAcceptsRange) {
  for (int threads : {1, 7, 16}) {
    Config config = ParseConfig(DecodeThreadsYaml(std::to_string(threads)), "test.yml", "/base");
    EXPECT_EQ(config.media.video.decode_threads, threads);
  }
}

TEST(ConfigVideo, DecodeThreadsRejectsInvalid) {
  for (const std::string value : {"0", "17", "-1", "2.5", "two", "[2]"}) {
    SCOPED_TRACE(value);
    std::string message = ParseError(DecodeThreadsYaml(value));
    EXPECT_NE(message.find("'media.video.decode_threads'"), std::string::npos) << message;
    EXPECT_NE(message.find("an integer from 1 to 16"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace msearch::config
