#include <string>

#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "config/test_env.h"

namespace msearch::config {
namespace {

using testing::ParseError;

TEST(ConfigSearch, Defaults) {
  Config config = ParseConfig("", "test.yml", "/base");
  EXPECT_EQ(config.search.image_weight, 1.0);
  EXPECT_EQ(config.search.video_weight, 1.0);
  EXPECT_EQ(config.search.audio_weight, 1.0);
  EXPECT_EQ(config.search.text_weight, 1.0);
  EXPECT_EQ(config.search.sound_audio_factor, 2.0);
  EXPECT_EQ(config.search.exact_up_to, 20000);
  EXPECT_EQ(config.search.scan_up_to, 2'000'000);
  EXPECT_EQ(config.search.hnsw_ef_search, 128);
}

TEST(ConfigSearch, ReadsEveryKey) {
  Config config = ParseConfig(
      "search:\n  weights:\n    image: 0.5\n    video: 0.25\n    audio: 0\n    text: 0.75\n"
      "  sound_audio_factor: 3\n"
      "  index:\n    exact_up_to: 0\n    scan_up_to: 500000\n    hnsw_ef_search: 400\n",
      "test.yml", "/base");
  EXPECT_EQ(config.search.image_weight, 0.5);
  EXPECT_EQ(config.search.video_weight, 0.25);
  EXPECT_EQ(config.search.audio_weight, 0.0);
  EXPECT_EQ(config.search.text_weight, 0.75);
  EXPECT_EQ(config.search.sound_audio_factor, 3.0);
  EXPECT_EQ(config.search.exact_up_to, 0);
  EXPECT_EQ(config.search.scan_up_to, 500000);
  EXPECT_EQ(config.search.hnsw_ef_search, 400);
}

TEST(ConfigSearch, RejectsInvalidValues) {
  EXPECT_NE(ParseError("search:\n  weights:\n    image: 2\n").find("'search.weights.image'"),
            std::string::npos);
  EXPECT_NE(ParseError("search:\n  sound_audio_factor: 0.5\n").find("'search.sound_audio_factor'"),
            std::string::npos);
  EXPECT_NE(ParseError("search:\n  index:\n    hnsw_ef_search: 8\n")
                .find("'search.index.hnsw_ef_search'"),
            std::string::npos);
  EXPECT_NE(ParseError("search:\n  index:\n    scan_up_to: -1\n").find("'search.index.scan_up_to'"),
            std::string::npos);
  EXPECT_NE(ParseError("search:\n  weights: {image: 0, video: 0, audio: 0, text: 0}\n")
                .find("'search.weights'"),
            std::string::npos);
  EXPECT_NE(ParseError("search:\n  weights:\n    imgae: 1\n").find("did you mean"),
            std::string::npos);
}

}  // namespace
}  // namespace msearch::config
