#include <cmath>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "media/video_fixtures.h"
#include "media/video_segment.h"
#include "support/temp_dir.h"

namespace msearch::media {
namespace {

using testing::RunFfmpeg;

// Cut-position tolerance for generated video: a few frames at 25 fps.
constexpr double kCutTolerance = 0.15;

// Shots of solid colours and a test pattern: red 3 s, blue 2.5 s, green
// 4 s, testsrc2 3 s, so cuts at 3, 5.5 and 9.5 s and 12.5 s in all.
const std::vector<double> kColourCuts = {3.0, 5.5, 9.5};
constexpr double kColourDuration = 12.5;

std::vector<std::string> ColourShotInputs(const std::string& size) {
  std::vector<std::string> inputs;
  for (const char* shot :
       {"color=c=red:d=3", "color=c=blue:d=2.5", "color=c=green:d=4", "testsrc2=d=3"}) {
    inputs.insert(inputs.end(), {"-f", "lavfi", "-i", std::string(shot) + ":s=" + size + ":r=25"});
  }
  return inputs;
}

constexpr const char* kConcatFour = "[0:v][1:v][2:v][3:v]concat=n=4:v=1:a=0";

void MakeColourShots(const std::filesystem::path& output, const std::string& pixel_format,
                     const std::vector<std::string>& codec_arguments,
                     const std::string& size = "320x240", const std::string& extra_filter = "") {
  std::vector<std::string> arguments = ColourShotInputs(size);
  std::string filter = std::string(kConcatFour) + ",format=" + pixel_format + extra_filter;
  arguments.insert(arguments.end(), {"-filter_complex", filter});
  arguments.insert(arguments.end(), codec_arguments.begin(), codec_arguments.end());
  arguments.push_back(output.string());
  RunFfmpeg(arguments);
}

void ExpectColourCuts(const std::vector<VideoSegment>& segments, double tolerance) {
  ASSERT_EQ(segments.size(), kColourCuts.size() + 1);
  EXPECT_EQ(segments.front().start_s, 0.0);
  EXPECT_NEAR(segments.back().end_s, kColourDuration, 0.1);
  for (size_t i = 0; i < kColourCuts.size(); ++i) {
    EXPECT_NEAR(segments[i + 1].start_s, kColourCuts[i], tolerance) << "cut " << i;
    EXPECT_EQ(segments[i + 1].start_s, segments[i].end_s);
  }
  // Each segment's frames show its own shot.
  for (const TimedFrame& frame : segments[0].frames) {
    testing::MeanColor color = testing::MeanColorOf(frame.image);
    EXPECT_GT(color.red, 200) << "red shot at " << frame.time_s;
    EXPECT_LT(color.blue, 60) << "red shot at " << frame.time_s;
  }
  for (const TimedFrame& frame : segments[1].frames) {
    testing::MeanColor color = testing::MeanColorOf(frame.image);
    EXPECT_GT(color.blue, 200) << "blue shot at " << frame.time_s;
    EXPECT_LT(color.red, 60) << "blue shot at " << frame.time_s;
  }
  for (const TimedFrame& frame : segments[2].frames) {
    testing::MeanColor color = testing::MeanColorOf(frame.image);
    // FFmpeg's "green" is #008000.
    EXPECT_GT(color.green, 100) << "green shot at " << frame.time_s;
    EXPECT_LT(color.red, 60) << "green shot at " << frame.time_s;
  }
}

// Options that decode GOPs on two worker threads even for small video.
SegmentOptions WorkerThreadOptions() {
  SegmentOptions options;
  options.decode_threads = 2;
  options.parallel_min_pixels = 0;
  return options;
}

// Segments `path`, returning the segments and the summary.
std::vector<VideoSegment> Segment(const std::filesystem::path& path, const SegmentOptions& options,
                                  SegmentationSummary* summary) {
  std::vector<VideoSegment> segments;
  *summary = SegmentVideo(path, options, {},
                          [&](VideoSegment&& segment) { segments.push_back(std::move(segment)); });
  return segments;
}

TEST(GeneratedVideo, ColourCutsH264) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "colours.mp4";
  MakeColourShots(path, "yuv420p", {"-c:v", "libx264", "-preset", "veryfast"});

  ExpectColourCuts(SegmentVideoToList(path, SegmentOptions{}), kCutTolerance);
}

TEST(GeneratedVideo, QuietGopsSkimmed) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "colours_gop25.mp4";
  // One key frame per second and none added at cuts, so the cut at 5.5 s
  // falls inside a GOP.
  MakeColourShots(path, "yuv420p",
                  {"-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-sc_threshold", "0"});

  SegmentationSummary summary{};
  std::vector<VideoSegment> segments;
  summary = SegmentVideo(path, SegmentOptions{}, {},
                         [&](VideoSegment&& segment) { segments.push_back(std::move(segment)); });

  ExpectColourCuts(segments, kCutTolerance);
  // Most of the solid colour GOPs are skimmed.
  EXPECT_GE(summary.gops_skimmed, 5);
  EXPECT_LT(summary.frames_decoded, 200);
}

TEST(GeneratedVideo, SkimOffDecodesEveryGop) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "colours_gop25.mp4";
  MakeColourShots(path, "yuv420p",
                  {"-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-sc_threshold", "0"});
  SegmentOptions options;
  options.skim_quiet_gops = false;

  SegmentationSummary summary{};
  std::vector<VideoSegment> segments;
  summary = SegmentVideo(path, options, {},
                         [&](VideoSegment&& segment) { segments.push_back(std::move(segment)); });

  ExpectColourCuts(segments, kCutTolerance);
  EXPECT_EQ(summary.gops_skimmed, 0);
}

TEST(GeneratedVideo, TenBitSource) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "colours_10bit.mkv";
  MakeColourShots(path, "yuv420p10le", {"-c:v", "libx264", "-preset", "ultrafast"});

  ExpectColourCuts(SegmentVideoToList(path, SegmentOptions{}), kCutTolerance);
}

TEST(GeneratedVideo, FullRangeMjpegAtReducedResolution) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "colours_mjpeg.avi";
  // 1280x720 MJPEG decodes at half size (lowres), still above 224 pixels.
  MakeColourShots(path, "yuvj422p", {"-c:v", "mjpeg", "-q:v", "5"}, "1280x720");

  std::vector<VideoSegment> segments = SegmentVideoToList(path, SegmentOptions{});

  ExpectColourCuts(segments, kCutTolerance);
  for (const VideoSegment& segment : segments) {
    for (const TimedFrame& frame : segment.frames) {
      EXPECT_EQ(frame.image.height, 224);
      EXPECT_EQ(frame.image.width, 398);
    }
  }
}

TEST(GeneratedVideo, RgbPixelFormat) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "colours_png.mov";
  // PNG frames in QuickTime: packed RGB, no YUV at all.
  MakeColourShots(path, "rgb24", {"-c:v", "png"}, "160x120");

  std::vector<VideoSegment> segments = SegmentVideoToList(path, SegmentOptions{});

  ExpectColourCuts(segments, kCutTolerance);
  EXPECT_EQ(segments[0].frames[0].image.height, 224);
  EXPECT_EQ(segments[0].frames[0].image.width, 299);
}

TEST(GeneratedVideo, MissingTimestamps) {
  msearch::testing::TempDir dir;
  // A raw H.264 stream has no container and no timestamps.
  std::filesystem::path path = dir / "colours.h264";
  MakeColourShots(path, "yuv420p", {"-c:v", "libx264", "-preset", "ultrafast", "-f", "h264"});

  SegmentationSummary summary{};
  std::vector<VideoSegment> segments;
  summary = SegmentVideo(path, SegmentOptions{}, {},
                         [&](VideoSegment&& segment) { segments.push_back(std::move(segment)); });

  EXPECT_EQ(summary.frames_decoded, 313);
  ExpectColourCuts(segments, kCutTolerance);
}

TEST(GeneratedVideo, UnknownDuration) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "colours_streamed.mkv";
  // Matroska written to a pipe cannot go back to store the duration.
  std::string command =
      "ffmpeg -nostdin -v error -y -f lavfi -i color=c=red:d=3:s=320x240:r=25 -f lavfi -i "
      "color=c=blue:d=2.5:s=320x240:r=25 -f lavfi -i color=c=green:d=4:s=320x240:r=25 -f lavfi "
      "-i testsrc2=d=3:s=320x240:r=25 -filter_complex '" +
      std::string(kConcatFour) +
      ",format=yuv420p' -c:v libx264 -preset ultrafast -f matroska pipe:1 > '" + path.string() +
      "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  ExpectColourCuts(SegmentVideoToList(path, SegmentOptions{}), kCutTolerance);
}

TEST(GeneratedVideo, AnamorphicPixels) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "anamorphic.mp4";
  // 320x240 stored pixels twice as wide as high: displayed 640x240.
  RunFfmpeg({"-f", "lavfi", "-i", "testsrc2=d=2:s=320x240:r=25", "-vf", "setsar=2/1,format=yuv420p",
             "-c:v", "libx264", "-preset", "ultrafast", path.string()});

  std::vector<VideoSegment> segments = SegmentVideoToList(path, SegmentOptions{});

  ASSERT_EQ(segments.size(), 1u);
  for (const TimedFrame& frame : segments[0].frames) {
    EXPECT_EQ(frame.image.height, 224);
    EXPECT_EQ(frame.image.width, 597);
  }
}

TEST(GeneratedVideo, FlashIsNoCut) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "flash.mp4";
  // Frame 100 (4 s) is white. Without B-frames no frame is skipped as
  // unreferenced, so the detector scores the white frame.
  RunFfmpeg({"-f", "lavfi", "-i", "testsrc2=d=8:s=320x240:r=25", "-vf",
             "drawbox=enable='eq(n,100)':c=white:t=fill,format=yuv420p", "-c:v", "libx264",
             "-preset", "ultrafast", "-bf", "0", path.string()});

  std::vector<VideoSegment> segments = SegmentVideoToList(path, SegmentOptions{});

  EXPECT_EQ(segments.size(), 1u);
}

TEST(GeneratedVideo, FadeIsNoCut) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "fade.mp4";
  RunFfmpeg({"-f", "lavfi", "-i", "testsrc2=d=9:s=320x240:r=25", "-vf",
             "fade=t=out:st=3:d=1.5,fade=t=in:st=5:d=1.5,format=yuv420p", "-c:v", "libx264",
             "-preset", "ultrafast", "-bf", "0", path.string()});

  std::vector<VideoSegment> segments = SegmentVideoToList(path, SegmentOptions{});

  EXPECT_EQ(segments.size(), 1u);
}

TEST(GeneratedVideo, LongShotSplitEvenly) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "long_shot.mp4";
  RunFfmpeg({"-f", "lavfi", "-i", "testsrc2=d=75:s=160x90:r=10", "-vf", "format=yuv420p", "-c:v",
             "libx264", "-preset", "ultrafast", path.string()});
  SegmentOptions options;
  options.max_segment_s = 20;

  std::vector<VideoSegment> segments = SegmentVideoToList(path, options);

  ASSERT_EQ(segments.size(), 4u);
  EXPECT_NEAR(segments.back().end_s, 75.0, 0.1);
  for (size_t i = 0; i < segments.size(); ++i) {
    double length = segments[i].end_s - segments[i].start_s;
    EXPECT_LE(length, options.max_segment_s) << "segment " << i;
    EXPECT_GE(length, options.max_segment_s / 2) << "segment " << i;
    if (i > 0) {
      EXPECT_EQ(segments[i].start_s, segments[i - 1].end_s);
    }
  }
}

TEST(GeneratedVideo, CorruptPacketsSkipped) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "damaged.mp4";
  MakeColourShots(path, "yuv420p", {"-c:v", "libx264", "-preset", "ultrafast", "-g", "25"});
  {
    // Overwrites 4 KiB in the middle of the file with a byte pattern.
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(std::filesystem::file_size(path) / 2));
    std::string garbage(4096, '\0');
    for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 37 + 11);
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }

  SegmentationSummary summary{};
  std::vector<VideoSegment> segments;
  summary = SegmentVideo(path, SegmentOptions{}, {},
                         [&](VideoSegment&& segment) { segments.push_back(std::move(segment)); });

  EXPECT_GT(summary.packets_rejected + summary.frames_dropped, 0);
  ASSERT_FALSE(segments.empty());
  EXPECT_NEAR(segments.back().end_s, kColourDuration, 0.1);
  for (size_t i = 1; i < segments.size(); ++i) {
    EXPECT_EQ(segments[i].start_s, segments[i - 1].end_s);
  }
}

TEST(GeneratedVideo, WorkerThreadsLongGop) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "colours_gop250.mp4";
  // Key frames every 10 s and none at cuts: the cuts lie inside GOPs.
  MakeColourShots(path, "yuv420p",
                  {"-c:v", "libx264", "-preset", "veryfast", "-g", "250", "-sc_threshold", "0"});
  SegmentationSummary summary{};
  SegmentationSummary threaded_summary{};

  std::vector<VideoSegment> segments = Segment(path, SegmentOptions{}, &summary);
  std::vector<VideoSegment> threaded = Segment(path, WorkerThreadOptions(), &threaded_summary);

  EXPECT_EQ(summary.decode_threads, 0);
  EXPECT_EQ(threaded_summary.decode_threads, 2);
  ExpectColourCuts(threaded, kCutTolerance);
  EXPECT_EQ(testing::InnerBoundaries(threaded), testing::InnerBoundaries(segments));
  EXPECT_EQ(threaded_summary.frames_decoded, summary.frames_decoded);
  EXPECT_EQ(threaded_summary.frames_dropped, 0);
  EXPECT_NEAR(threaded.back().end_s, summary.duration_s, 1e-9);
}

TEST(GeneratedVideo, WorkerThreadsShortGops) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "colours_gop25.mp4";
  MakeColourShots(path, "yuv420p",
                  {"-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-sc_threshold", "0"});
  SegmentOptions no_skim = WorkerThreadOptions();
  no_skim.skim_quiet_gops = false;
  SegmentationSummary skimmed{};
  SegmentationSummary decoded{};

  ExpectColourCuts(Segment(path, WorkerThreadOptions(), &skimmed), kCutTolerance);
  ExpectColourCuts(Segment(path, no_skim, &decoded), kCutTolerance);

  EXPECT_GE(skimmed.gops_skimmed, 5);
  EXPECT_LT(skimmed.frames_decoded, 200);
  EXPECT_EQ(decoded.gops_skimmed, 0);
  EXPECT_GT(decoded.frames_decoded, skimmed.frames_decoded);
}

TEST(GeneratedVideo, WorkerThreadsWithoutTimestamps) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "colours.h264";
  MakeColourShots(path, "yuv420p", {"-c:v", "libx264", "-preset", "ultrafast", "-f", "h264"});
  SegmentationSummary summary{};

  std::vector<VideoSegment> segments = Segment(path, WorkerThreadOptions(), &summary);

  EXPECT_EQ(summary.decode_threads, 2);
  EXPECT_EQ(summary.frames_decoded, 313);
  ExpectColourCuts(segments, kCutTolerance);
}

TEST(GeneratedVideo, WorkerThreadsSkipCorruptPackets) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "damaged.mp4";
  MakeColourShots(path, "yuv420p", {"-c:v", "libx264", "-preset", "ultrafast", "-g", "25"});
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(std::filesystem::file_size(path) / 2));
    std::string garbage(4096, '\0');
    for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 37 + 11);
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  SegmentationSummary summary{};

  std::vector<VideoSegment> segments = Segment(path, WorkerThreadOptions(), &summary);

  EXPECT_GT(summary.packets_rejected + summary.frames_dropped, 0);
  ASSERT_FALSE(segments.empty());
  EXPECT_NEAR(segments.back().end_s, kColourDuration, 0.1);
  for (const VideoSegment& segment : segments) {
    EXPECT_EQ(segment.frames.size(), 4u) << "segment " << segment.index;
  }
}

TEST(GeneratedVideo, WorkerThreadsStopWithCallback) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "colours_gop25.mp4";
  MakeColourShots(path, "yuv420p",
                  {"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-sc_threshold", "0"});
  SegmentOptions options = WorkerThreadOptions();
  options.skim_quiet_gops = false;

  // The worker threads are still decoding later GOPs when the callback
  // throws. The exception must reach the caller, and the threads stop.
  EXPECT_THROW(
      SegmentVideo(path, options, {}, [](VideoSegment&&) { throw std::runtime_error("stop"); }),
      std::runtime_error);
}

}  // namespace
}  // namespace msearch::media
