// Video and images of absurd shape give model pixels of bounded size.

#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "media/frame_scaler.h"
#include "media/image_pixels.h"
#include "media/video_fixtures.h"
#include "media/video_segment.h"
#include "support/temp_dir.h"

namespace msearch::media {
namespace {

using testing::RunFfmpeg;

// A red band of 10000 x 16 pixels (or 16 x 10000 when `tall`) with a green
// block of 400 pixels in the middle of its length, as lossless FFV1 video.
std::filesystem::path MakeBandVideo(const std::filesystem::path& dir, bool tall) {
  std::filesystem::path output = dir / (tall ? "tall.mkv" : "wide.mkv");
  std::string source = tall ? "color=c=red:s=16x10000:r=25:d=2,"
                              "drawbox=x=0:y=4800:w=16:h=400:color=green:t=fill"
                            : "color=c=red:s=10000x16:r=25:d=2,"
                              "drawbox=x=4800:y=0:w=400:h=16:color=green:t=fill";
  RunFfmpeg({"-f", "lavfi", "-i", source, "-pix_fmt", "yuv420p", "-c:v", "ffv1", output.string()});
  return output;
}

void ExpectCentreOnly(const VideoSegment& segment, int width, int height) {
  ASSERT_FALSE(segment.frames.empty());
  for (const TimedFrame& frame : segment.frames) {
    EXPECT_EQ(frame.image.width, width);
    EXPECT_EQ(frame.image.height, height);
    testing::MeanColor color = testing::MeanColorOf(frame.image);
    // Only the green middle survives the crop.
    EXPECT_GT(color.green, 100) << "frame at " << frame.time_s;
    EXPECT_LT(color.red, 60) << "frame at " << frame.time_s;
  }
}

TEST(AspectCap, WideVideoFramesCropped) {
  msearch::testing::TempDir dir;
  std::filesystem::path video = MakeBandVideo(dir.path(), false);
  SegmentOptions options;

  std::vector<VideoSegment> segments = SegmentVideoToList(video, options, dir / "thumbnails");

  ASSERT_EQ(segments.size(), 1u);
  const int long_side = kMaxAspectRatio * options.frame_short_side;
  ExpectCentreOnly(segments[0], long_side, options.frame_short_side);
  EXPECT_TRUE(std::filesystem::exists(segments[0].thumbnail));
}

TEST(AspectCap, TallVideoFramesCropped) {
  msearch::testing::TempDir dir;
  std::filesystem::path video = MakeBandVideo(dir.path(), true);
  SegmentOptions options;

  std::vector<VideoSegment> segments = SegmentVideoToList(video, options);

  ASSERT_EQ(segments.size(), 1u);
  ExpectCentreOnly(segments[0], options.frame_short_side,
                   kMaxAspectRatio * options.frame_short_side);
}

TEST(AspectCap, DisplaySizeCapped) {
  FrameGeometry geometry;
  auto [width, height] = ScaledDisplaySize(10000, 16, geometry, 224);
  EXPECT_EQ(width, kMaxAspectRatio * 224);
  EXPECT_EQ(height, 224);

  geometry.rotation_clockwise = 90;
  auto [rotated_width, rotated_height] = ScaledDisplaySize(10000, 16, geometry, 224);
  EXPECT_EQ(rotated_width, 224);
  EXPECT_EQ(rotated_height, kMaxAspectRatio * 224);

  // A sample aspect ratio of 1/100 makes a 1920x1080 frame 19.2 x 1080
  // as displayed: tall, so its height is capped.
  FrameGeometry squeezed;
  squeezed.sample_aspect_ratio = 0.01;
  auto [squeezed_width, squeezed_height] = ScaledDisplaySize(1920, 1080, squeezed, 224);
  EXPECT_EQ(squeezed_width, 224);
  EXPECT_EQ(squeezed_height, kMaxAspectRatio * 224);
}

TEST(AspectCap, NormalShapesUnchanged) {
  auto [width, height] = ScaledDisplaySize(1920, 1080, FrameGeometry{}, 224);
  EXPECT_EQ(width, 398);
  EXPECT_EQ(height, 224);
}

TEST(AspectCap, WideImageFitsLongSide) {
  msearch::testing::TempDir dir;
  std::filesystem::path image = dir / "band.png";
  RunFfmpeg({"-f", "lavfi", "-i", "color=c=red:s=10000x16", "-frames:v", "1", image.string()});

  RgbImage pixels = DecodeRgb(image, 224);

  EXPECT_EQ(pixels.width, kMaxAspectRatio * 224);
  EXPECT_EQ(pixels.height, 3);  // 16 x 1792 / 10000, rounded
  EXPECT_EQ(pixels.rgb.size(), static_cast<size_t>(pixels.width) * pixels.height * 3);
}

TEST(AspectCap, SmallBandImageKeepsSize) {
  msearch::testing::TempDir dir;
  std::filesystem::path image = dir / "band.png";
  RunFfmpeg({"-f", "lavfi", "-i", "color=c=red:s=1000x16", "-frames:v", "1", image.string()});

  RgbImage pixels = DecodeRgb(image, 224);

  EXPECT_EQ(pixels.width, 1000);
  EXPECT_EQ(pixels.height, 16);
}

}  // namespace
}  // namespace msearch::media
