#include "pipeline/analysis_options.h"

#include <gtest/gtest.h>

#include "config/config_loader.h"

namespace msearch::pipeline {
namespace {

TEST(AnalysisOptions, DefaultsMatchSegmentOptions) {
  AnalysisOptions options = AnalysisOptionsFromConfig(config::DefaultConfig("/base"));
  EXPECT_EQ(options.segments.decode_threads, media::SegmentOptions{}.decode_threads);
}

TEST(AnalysisOptions, TakesVideoSettings) {
  config::Config config = config::ParseConfig(
      "media:\n  video:\n    min_segment_s: 2\n    max_segment_s: 20\n    frame_size: 336\n"
      "    decode_threads: 5\n",
      "test.yml", "/base");

  AnalysisOptions options = AnalysisOptionsFromConfig(config);

  EXPECT_EQ(options.segments.decode_threads, 5);
  EXPECT_EQ(options.segments.min_segment_s, 2);
  EXPECT_EQ(options.segments.max_segment_s, 20);
  EXPECT_EQ(options.segments.frame_short_side, 336);
  EXPECT_NO_THROW(media::ValidateSegmentOptions(options.segments));
}

}  // namespace
}  // namespace msearch::pipeline
