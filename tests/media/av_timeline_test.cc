// Video segments and decoded audio of one file share a timeline that counts
// from the start of the presentation, also when one stream starts later
// than the other.

#include <cmath>
#include <optional>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include "media/audio_decode.h"
#include "media/video_fixtures.h"
#include "media/video_segment.h"
#include "support/temp_dir.h"

namespace msearch::media {
namespace {

using testing::RunFfmpeg;

// Decoding at this rate keeps the tone onset search cheap.
constexpr int kSampleRate = 11025;
// Tolerance of a cut at 25 fps and of a tone onset: a few frames.
constexpr double kTolerance = 0.1;

struct DecodedAudio {
  AudioDecodeResult result;
  std::optional<double> onset_s;  // first sample louder than 0.1
};

DecodedAudio DecodeAndFindOnset(const std::filesystem::path& path) {
  DecodedAudio decoded;
  int64_t position = 0;
  AudioDecodeOptions options;
  options.sample_rate = kSampleRate;
  decoded.result = DecodeAudio(path, options, [&](std::span<const float> samples) {
    for (size_t i = 0; i < samples.size() && !decoded.onset_s; ++i) {
      if (std::abs(samples[i]) > 0.1f) {
        decoded.onset_s = static_cast<double>(position + static_cast<int64_t>(i)) / kSampleRate;
      }
    }
    position += static_cast<int64_t>(samples.size());
    return true;
  });
  return decoded;
}

// A red shot then a blue shot, H.264 at 25 fps, one key frame a second.
void MakeTwoShots(const std::filesystem::path& output, double red_s, double blue_s) {
  RunFfmpeg({"-f", "lavfi", "-i", "color=c=red:s=320x240:r=25:d=" + std::to_string(red_s), "-f",
             "lavfi", "-i", "color=c=blue:s=320x240:r=25:d=" + std::to_string(blue_s),
             "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0,format=yuv420p", "-c:v", "libx264",
             "-g", "25", output.string()});
}

TEST(AvTimeline, LateAudioStartsWithSilence) {
  msearch::testing::TempDir dir;
  std::filesystem::path video = dir / "video.mp4";
  std::filesystem::path file = dir / "late_audio.mp4";
  // Cut at 4 s. The audio stream starts at 3 s (an edit list) and its tone
  // 1 s later, so the tone starts with the blue shot.
  MakeTwoShots(video, 4, 4);
  RunFfmpeg({"-i", video.string(), "-itsoffset", "3", "-f", "lavfi", "-i",
             "aevalsrc=if(gte(t\\,1)\\,0.5*sin(2*PI*440*t)\\,0):s=44100:d=5", "-map", "0:v", "-map",
             "1:a", "-c:v", "copy", "-c:a", "aac", file.string()});

  std::vector<VideoSegment> segments = SegmentVideoToList(file, SegmentOptions{});
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_NEAR(segments[1].start_s, 4.0, kTolerance);

  DecodedAudio audio = DecodeAndFindOnset(file);
  EXPECT_NEAR(audio.result.start_seconds, 3.0, kTolerance);
  EXPECT_NEAR(audio.result.duration_seconds, 8.0, kTolerance);
  ASSERT_TRUE(audio.onset_s.has_value());
  EXPECT_NEAR(*audio.onset_s, segments[1].start_s, kTolerance);
}

TEST(AvTimeline, LateVideoStartsAfterZero) {
  msearch::testing::TempDir dir;
  std::filesystem::path video = dir / "video.mp4";
  std::filesystem::path file = dir / "late_video.mp4";
  // The pictures start at 1 s and cut 3 s later, at 4 s of the
  // presentation. The audio starts at 0 and its tone at 4 s.
  MakeTwoShots(video, 3, 4);
  RunFfmpeg({"-itsoffset", "1", "-i", video.string(), "-f", "lavfi", "-i",
             "aevalsrc=if(gte(t\\,4)\\,0.5*sin(2*PI*440*t)\\,0):s=44100:d=8", "-map", "0:v", "-map",
             "1:a", "-c:v", "copy", "-c:a", "aac", file.string()});

  std::vector<VideoSegment> segments = SegmentVideoToList(file, SegmentOptions{});
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_EQ(segments[0].start_s, 0.0);
  EXPECT_NEAR(segments[1].start_s, 4.0, kTolerance);
  EXPECT_NEAR(segments[1].end_s, 8.0, kTolerance);
  ASSERT_FALSE(segments[0].frames.empty());
  EXPECT_GE(segments[0].frames.front().time_s, 1.0 - 1e-6);

  DecodedAudio audio = DecodeAndFindOnset(file);
  EXPECT_NEAR(audio.result.start_seconds, 0.0, kTolerance);
  ASSERT_TRUE(audio.onset_s.has_value());
  EXPECT_NEAR(*audio.onset_s, segments[1].start_s, kTolerance);
}

}  // namespace
}  // namespace msearch::media
