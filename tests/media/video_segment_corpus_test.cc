#include <algorithm>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "media/corpus_manifest.h"
#include "media/video_fixtures.h"
#include "media/video_segment.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::media {
namespace {

using testing::CorpusEntry;

// Duration tolerance: the container's rounding of the last frame's length.
constexpr double kDurationTolerance = 0.1;
// Cut-position tolerance.
constexpr double kCutTolerance = 0.5;

std::vector<CorpusEntry> VideoEntries() {
  std::vector<CorpusEntry> entries;
  for (const auto& entry : testing::CorpusEntriesOfKind({"video"})) entries.push_back(entry);
  return entries;
}

// Options that decode the GOPs of every video on two worker threads. The
// defaults use worker threads only for large video.
SegmentOptions WorkerThreadOptions() {
  SegmentOptions options;
  options.decode_threads = 2;
  options.parallel_min_pixels = 0;
  return options;
}

// Runs the checks of CoversDurationWithFrames on `options`.
void ExpectCoverage(const CorpusEntry& entry, const SegmentOptions& options) {
  const double duration = entry.expected.at("duration_s").get<double>();
  const int displayed_width = entry.expected.at("width").get<int>();
  const int displayed_height = entry.expected.at("height").get<int>();
  msearch::testing::TempDir dir;

  std::vector<VideoSegment> segments = SegmentVideoToList(entry.FullPath(), options, dir.path());

  ASSERT_FALSE(segments.empty());
  EXPECT_EQ(segments.front().start_s, 0.0);
  EXPECT_NEAR(segments.back().end_s, duration, kDurationTolerance);
  if (duration <= options.single_segment_max_s) {
    EXPECT_EQ(segments.size(), 1u);
  }
  double previous_frame_time = -1;
  for (size_t i = 0; i < segments.size(); ++i) {
    const VideoSegment& segment = segments[i];
    SCOPED_TRACE("segment " + std::to_string(i));
    EXPECT_EQ(segment.index, static_cast<int>(i));
    if (i > 0) {
      EXPECT_EQ(segment.start_s, segments[i - 1].end_s);
    }
    EXPECT_LT(segment.start_s, segment.end_s);
    EXPECT_LE(segment.end_s - segment.start_s, options.max_segment_s);
    EXPECT_GE(segment.representative_s, segment.start_s);
    EXPECT_LE(segment.representative_s, segment.end_s);
    EXPECT_TRUE(std::filesystem::exists(segment.thumbnail)) << segment.thumbnail;
    ASSERT_EQ(segment.frames.size(), static_cast<size_t>(options.frames_per_segment));
    for (const TimedFrame& frame : segment.frames) {
      EXPECT_GE(frame.time_s, previous_frame_time);
      EXPECT_GE(frame.time_s, 0.0);
      EXPECT_LE(frame.time_s, duration);
      previous_frame_time = frame.time_s;
      EXPECT_EQ(std::min(frame.image.width, frame.image.height), options.frame_short_side);
      EXPECT_EQ(frame.image.rgb.size(),
                static_cast<size_t>(frame.image.width) * frame.image.height * 3);
      // Upright and with the displayed aspect ratio.
      double expected_ratio = static_cast<double>(displayed_width) / displayed_height;
      double ratio = static_cast<double>(frame.image.width) / frame.image.height;
      EXPECT_NEAR(ratio, expected_ratio, 0.02 * expected_ratio);
    }
  }
}

class SegmentCorpusTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(SegmentCorpusTest, CoversDurationWithFrames) {
  ExpectCoverage(GetParam(), SegmentOptions{});
}

TEST_P(SegmentCorpusTest, CoversDurationOnWorkerThreads) {
  ExpectCoverage(GetParam(), WorkerThreadOptions());
}

INSTANTIATE_TEST_SUITE_P(Corpus, SegmentCorpusTest, ::testing::ValuesIn(VideoEntries()),
                         testing::CorpusTestName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SegmentCorpusTest);

std::vector<CorpusEntry> EntriesWithCuts() {
  std::vector<CorpusEntry> entries;
  for (const auto& entry : VideoEntries()) {
    if (entry.expected.contains("scene_cuts_s")) entries.push_back(entry);
  }
  return entries;
}

class SceneCutCorpusTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(SceneCutCorpusTest, BoundariesMatchCuts) {
  const CorpusEntry& entry = GetParam();
  std::vector<double> cuts = entry.expected.at("scene_cuts_s").get<std::vector<double>>();
  SegmentOptions options;
  // Short videos are one segment by default; cut them too, to test the
  // detection on every codec.
  options.single_segment_max_s = 0;

  std::vector<double> boundaries =
      testing::InnerBoundaries(SegmentVideoToList(entry.FullPath(), options));

  ASSERT_EQ(boundaries.size(), cuts.size());
  for (size_t i = 0; i < cuts.size(); ++i) {
    EXPECT_NEAR(boundaries[i], cuts[i], kCutTolerance) << "cut " << i;
  }
}

TEST_P(SceneCutCorpusTest, WorkerThreadsFindSameCuts) {
  const CorpusEntry& entry = GetParam();
  SegmentOptions options;
  options.single_segment_max_s = 0;
  SegmentOptions threaded = WorkerThreadOptions();
  threaded.single_segment_max_s = 0;

  std::vector<double> boundaries =
      testing::InnerBoundaries(SegmentVideoToList(entry.FullPath(), options));
  std::vector<double> threaded_boundaries =
      testing::InnerBoundaries(SegmentVideoToList(entry.FullPath(), threaded));

  EXPECT_EQ(threaded_boundaries, boundaries);
}

INSTANTIATE_TEST_SUITE_P(Corpus, SceneCutCorpusTest, ::testing::ValuesIn(EntriesWithCuts()),
                         testing::CorpusTestName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SceneCutCorpusTest);

TEST(SegmentVideo, RotatedFramesAreUpright) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  for (const char* name : {"rotated_90.mp4", "rotated_270.mp4"}) {
    SCOPED_TRACE(name);
    std::filesystem::path path = shared / "corpus/video" / name;
    SegmentOptions options;

    std::vector<VideoSegment> segments = SegmentVideoToList(path, options);

    ASSERT_EQ(segments.size(), 1u);
    const TimedFrame& frame = segments[0].frames[1];
    // Coded 320x180, displayed 180x320.
    EXPECT_EQ(frame.image.width, 224);
    EXPECT_EQ(frame.image.height, 398);
    RgbImage reference =
        testing::FfmpegFrameAt(path, frame.time_s, frame.image.width, frame.image.height);
    double upright = testing::MeanAbsoluteDifference(frame.image, reference);
    double upside_down =
        testing::MeanAbsoluteDifference(testing::Rotated180(frame.image), reference);
    EXPECT_LT(upright, 12.0);
    EXPECT_LT(upright * 2, upside_down);
  }
}

TEST(SegmentVideo, VariableFrameRateTimes) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  std::filesystem::path path = shared / "corpus/video/vfr_30_15_5fps.mp4";
  SegmentOptions options;
  options.frames_per_segment = 12;

  SegmentationSummary summary{};
  std::vector<VideoSegment> segments;
  summary = SegmentVideo(path, options, {},
                         [&](VideoSegment&& segment) { segments.push_back(std::move(segment)); });

  EXPECT_NEAR(summary.duration_s, 5.834, kDurationTolerance);
  ASSERT_EQ(segments.size(), 1u);
  double previous = -1;
  for (const TimedFrame& frame : segments[0].frames) {
    EXPECT_GE(frame.time_s, previous);
    EXPECT_LE(frame.time_s, summary.duration_s);
    previous = frame.time_s;
  }
  // The last 10 frames are 0.2 s apart from 4 s on. Counting frames at the
  // average rate would put frame 95 at 5.2 s, but its timestamp is 5.0 s.
  // Each picked frame is at most one candidate spacing (0.5 s) from its
  // evenly spread target.
  const auto& frames = segments[0].frames;
  for (size_t k = 0; k < frames.size(); ++k) {
    double target = (k + 0.5) * summary.duration_s / frames.size();
    EXPECT_NEAR(frames[k].time_s, target, 0.5) << "frame " << k;
  }
}

TEST(SegmentVideo, BrokenVideosNameTheFile) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  for (const char* name :
       {"broken/garbage_payload.mp4", "broken/truncated_no_moov.mp4", "audio/xylophone_aac.m4a"}) {
    SCOPED_TRACE(name);
    std::filesystem::path path = shared / "corpus" / name;
    try {
      SegmentVideoToList(path, SegmentOptions{});
      ADD_FAILURE() << "segmenting " << name << " did not fail";
    } catch (const MediaError& error) {
      EXPECT_NE(std::string(error.what()).find(path.filename().string()), std::string::npos)
          << error.what();
    }
  }
}

TEST(SegmentVideo, MissingFileNamesTheFile) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "no_such_video.mp4";
  try {
    SegmentVideoToList(path, SegmentOptions{});
    FAIL() << "segmenting a missing file did not fail";
  } catch (const MediaError& error) {
    EXPECT_NE(std::string(error.what()).find("no_such_video.mp4"), std::string::npos)
        << error.what();
  }
}

TEST(SegmentVideo, FramesPerSegmentHonoured) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  std::filesystem::path path = shared / "corpus/video/long_3min_lowres.mp4";
  for (int count : {1, 3, 8}) {
    SegmentOptions options;
    options.frames_per_segment = count;
    options.frame_short_side = 64;

    std::vector<VideoSegment> segments = SegmentVideoToList(path, options);

    ASSERT_EQ(segments.size(), 12u);
    for (const VideoSegment& segment : segments) {
      ASSERT_EQ(segment.frames.size(), static_cast<size_t>(count));
      for (const TimedFrame& frame : segment.frames) {
        EXPECT_GE(frame.time_s, segment.start_s);
        EXPECT_LT(frame.time_s, segment.end_s);
        EXPECT_EQ(frame.image.height, 64);
        EXPECT_EQ(frame.image.width, 114);
      }
    }
  }
}

TEST(SegmentVideo, SegmentsArriveWhileDecoding) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  std::filesystem::path path = shared / "corpus/video/long_3min_lowres.mp4";
  std::vector<double> ends;

  try {
    SegmentVideo(path, SegmentOptions{}, {}, [&](VideoSegment&& segment) {
      ends.push_back(segment.end_s);
      if (ends.size() == 2) throw std::runtime_error("stop");
    });
    FAIL() << "the callback's exception did not propagate";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "stop");
  }

  ASSERT_EQ(ends.size(), 2u);
  EXPECT_NEAR(ends[1], 30.0, kCutTolerance);
}

TEST(SegmentVideo, ParallelCallsMatchSequential) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const std::vector<std::filesystem::path> paths = {
      shared / "corpus/video/scene_cuts_2_4_6.mp4", shared / "corpus/video/hevc_aac.mp4",
      shared / "corpus/video/vp9_opus.webm", shared / "corpus/video/rotated_90.mp4"};
  std::vector<std::vector<VideoSegment>> sequential;
  for (const auto& path : paths) sequential.push_back(SegmentVideoToList(path, SegmentOptions{}));

  std::vector<std::vector<VideoSegment>> parallel(paths.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < paths.size(); ++i) {
    threads.emplace_back([&, i] { parallel[i] = SegmentVideoToList(paths[i], SegmentOptions{}); });
  }
  for (std::thread& thread : threads) thread.join();

  for (size_t i = 0; i < paths.size(); ++i) {
    SCOPED_TRACE(paths[i].filename().string());
    ASSERT_EQ(parallel[i].size(), sequential[i].size());
    for (size_t k = 0; k < parallel[i].size(); ++k) {
      EXPECT_EQ(parallel[i][k].start_s, sequential[i][k].start_s);
      EXPECT_EQ(parallel[i][k].end_s, sequential[i][k].end_s);
      ASSERT_EQ(parallel[i][k].frames.size(), sequential[i][k].frames.size());
      for (size_t f = 0; f < parallel[i][k].frames.size(); ++f) {
        EXPECT_EQ(parallel[i][k].frames[f].image.rgb, sequential[i][k].frames[f].image.rgb);
      }
    }
  }
}

TEST(SegmentVideo, InvalidOptionsRejected) {
  SegmentOptions options;
  options.max_segment_s = 1.5;
  options.min_segment_s = 1.0;
  EXPECT_THROW(ValidateSegmentOptions(options), msearch::Error);
  options = SegmentOptions{};
  options.frames_per_segment = 0;
  EXPECT_THROW(ValidateSegmentOptions(options), msearch::Error);
  EXPECT_NO_THROW(ValidateSegmentOptions(SegmentOptions{}));
}

}  // namespace
}  // namespace msearch::media
