#include "media/video_segment_builder.h"

#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace msearch::media {
namespace {

RgbImage TinyImage() { return RgbImage{2, 1, {1, 2, 3, 4, 5, 6}}; }

struct Collected {
  std::vector<VideoSegment> segments;
  // Segments delivered before Finish was called.
  size_t before_finish = 0;
};

// Feeds frames every `interval_s` from 0 until `end_s`, with cuts at the
// first frame at or after each time in `cuts`.
Collected Build(const SegmentOptions& options, double end_s, std::vector<double> cuts,
                double interval_s = 0.04, bool check_conversions = true) {
  Collected collected;
  SegmentBuilder builder(options, "test.mp4", {}, [&](VideoSegment&& segment) {
    collected.segments.push_back(std::move(segment));
  });
  size_t next_cut = 0;
  int conversions = 0;
  for (int i = 0; i * interval_s < end_s; ++i) {
    double time = i * interval_s;
    bool cut = next_cut < cuts.size() && time >= cuts[next_cut] - 1e-9;
    if (cut) ++next_cut;
    builder.AddFrame(time, cut, [&] {
      ++conversions;
      return TinyImage();
    });
  }
  collected.before_finish = collected.segments.size();
  builder.Finish(end_s);
  // Converting every frame would defeat the candidate spacing.
  if (check_conversions) {
    EXPECT_LT(conversions, end_s / interval_s / 4 + 8);
  }
  return collected;
}

void ExpectContiguous(const std::vector<VideoSegment>& segments, double end_s) {
  ASSERT_FALSE(segments.empty());
  EXPECT_EQ(segments.front().start_s, 0.0);
  EXPECT_NEAR(segments.back().end_s, end_s, 1e-9);
  for (size_t i = 1; i < segments.size(); ++i) {
    EXPECT_EQ(segments[i].start_s, segments[i - 1].end_s) << "segment " << i;
    EXPECT_EQ(segments[i].index, static_cast<int>(i));
  }
}

TEST(SegmentBuilder, CutsStartSegments) {
  Collected result = Build(SegmentOptions{}, 20, {5, 12});

  ExpectContiguous(result.segments, 20);
  ASSERT_EQ(result.segments.size(), 3u);
  EXPECT_NEAR(result.segments[1].start_s, 5, 1e-9);
  EXPECT_NEAR(result.segments[2].start_s, 12, 1e-9);
}

TEST(SegmentBuilder, CutTooSoonIgnored) {
  SegmentOptions options;
  options.min_segment_s = 2;

  Collected result = Build(options, 20, {5, 6, 15});

  ExpectContiguous(result.segments, 20);
  ASSERT_EQ(result.segments.size(), 3u);
  EXPECT_NEAR(result.segments[1].start_s, 5, 1e-9);
  EXPECT_NEAR(result.segments[2].start_s, 15, 1e-9);
}

TEST(SegmentBuilder, ShortTailJoinsPrevious) {
  SegmentOptions options;
  options.min_segment_s = 2;

  Collected result = Build(options, 20, {10, 19.5});

  ExpectContiguous(result.segments, 20);
  ASSERT_EQ(result.segments.size(), 2u);
  EXPECT_NEAR(result.segments[1].start_s, 10, 1e-9);
}

TEST(SegmentBuilder, ShortVideoIsOneSegment) {
  Collected result = Build(SegmentOptions{}, 5.5, {2, 4});

  ExpectContiguous(result.segments, 5.5);
  EXPECT_EQ(result.segments.size(), 1u);
  EXPECT_EQ(result.before_finish, 0u);
}

TEST(SegmentBuilder, LongShotSplitEvenly) {
  SegmentOptions options;
  options.max_segment_s = 20;

  Collected result = Build(options, 75, {});

  ExpectContiguous(result.segments, 75);
  ASSERT_EQ(result.segments.size(), 4u);
  for (const VideoSegment& segment : result.segments) {
    double length = segment.end_s - segment.start_s;
    EXPECT_LE(length, options.max_segment_s);
    EXPECT_GE(length, options.max_segment_s / 2);
  }
  // The last two pieces share the 35 s after the second piece.
  EXPECT_NEAR(result.segments[3].start_s, 57.5, 0.5);
}

TEST(SegmentBuilder, SegmentsDeliveredBeforeFinish) {
  Collected result = Build(SegmentOptions{}, 60, {10, 20, 30, 40, 50});

  ExpectContiguous(result.segments, 60);
  EXPECT_EQ(result.segments.size(), 6u);
  // The last closed segment waits for the next, and the open one for Finish.
  EXPECT_EQ(result.before_finish, 4u);
}

TEST(SegmentBuilder, FramesInsideSegments) {
  SegmentOptions options;
  options.frames_per_segment = 5;

  Collected result = Build(options, 40, {7, 9, 25});

  ExpectContiguous(result.segments, 40);
  for (const VideoSegment& segment : result.segments) {
    ASSERT_EQ(segment.frames.size(), 5u);
    for (const TimedFrame& frame : segment.frames) {
      EXPECT_GE(frame.time_s, segment.start_s);
      EXPECT_LT(frame.time_s, segment.end_s);
    }
    EXPECT_GE(segment.representative_s, segment.start_s);
    EXPECT_LT(segment.representative_s, segment.end_s);
  }
}

TEST(SegmentBuilder, SparseFramesStillFill) {
  SegmentOptions options;
  options.frames_per_segment = 4;

  // One frame every 3 s, as in a slide show.
  Collected result = Build(options, 40, {}, 3.0, false);

  ExpectContiguous(result.segments, 40);
  for (const VideoSegment& segment : result.segments) {
    EXPECT_EQ(segment.frames.size(), 4u);
  }
}

TEST(SegmentBuilder, WritesThumbnails) {
  msearch::testing::TempDir dir;
  std::vector<VideoSegment> segments;
  SegmentBuilder builder(SegmentOptions{}, "test.mp4", dir.path(),
                         [&](VideoSegment&& segment) { segments.push_back(std::move(segment)); });
  for (int i = 0; i < 250; ++i) {
    builder.AddFrame(i * 0.04, i == 150, [] {
      RgbImage image{64, 32, std::vector<uint8_t>(64 * 32 * 3, 90)};
      return image;
    });
  }
  builder.Finish(10);

  ASSERT_EQ(segments.size(), 2u);
  EXPECT_EQ(segments[0].thumbnail, dir / "segment_0000.jpg");
  EXPECT_EQ(segments[1].thumbnail, dir / "segment_0001.jpg");
  EXPECT_TRUE(std::filesystem::exists(segments[0].thumbnail));
  EXPECT_TRUE(std::filesystem::exists(segments[1].thumbnail));
}

}  // namespace
}  // namespace msearch::media
