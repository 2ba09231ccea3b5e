#include "media/scene_detect.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace msearch::media {
namespace {

// A flat analysis image of one YUV colour.
AnalysisImage Flat(uint8_t y, uint8_t u = 128, uint8_t v = 128) {
  AnalysisImage image(3 * kAnalysisPlaneSize);
  std::fill(image.begin(), image.begin() + kAnalysisPlaneSize, y);
  std::fill(image.begin() + kAnalysisPlaneSize, image.begin() + 2 * kAnalysisPlaneSize, u);
  std::fill(image.begin() + 2 * kAnalysisPlaneSize, image.end(), v);
  return image;
}

// Vertical luma stripes 8 pixels wide, shifted right by `offset` pixels.
AnalysisImage Stripes(int offset) {
  AnalysisImage image = Flat(0);
  for (int y = 0; y < kAnalysisHeight; ++y) {
    for (int x = 0; x < kAnalysisWidth; ++x) {
      image[y * kAnalysisWidth + x] = ((x + offset) / 8) % 2 == 0 ? 40 : 200;
    }
  }
  return image;
}

// Feeds `images` at 25 frames per second and returns the times of the cuts.
std::vector<double> CutTimes(const std::vector<AnalysisImage>& images) {
  SceneDetector detector;
  std::vector<FrameVerdict> verdicts;
  for (size_t i = 0; i < images.size(); ++i) {
    for (const FrameVerdict& verdict : detector.Add(i * 0.04, images[i])) {
      verdicts.push_back(verdict);
    }
  }
  for (const FrameVerdict& verdict : detector.Finish()) verdicts.push_back(verdict);
  EXPECT_EQ(verdicts.size(), images.size());
  std::vector<double> cuts;
  for (const FrameVerdict& verdict : verdicts) {
    if (verdict.cut) cuts.push_back(verdict.time_s);
  }
  return cuts;
}

TEST(SceneScore, IdenticalIsZero) { EXPECT_EQ(SceneScore(Stripes(3), Stripes(3)), 0.0); }

TEST(SceneScore, ColourChangeScoresHigh) {
  // Red and blue of equal luma differ only in chroma.
  EXPECT_GT(SceneScore(Flat(80, 90, 240), Flat(80, 240, 110)), 0.3);
  EXPECT_GT(SceneScore(Flat(20), Flat(220)), 0.5);
}

TEST(SceneScore, MotionScoresBelowCut) {
  double motion = SceneScore(Stripes(0), Stripes(2));
  double cut = SceneScore(Stripes(0), Flat(120, 60, 200));
  EXPECT_LT(motion, 0.15);
  EXPECT_GT(cut, 3 * motion);
}

TEST(SceneDetector, FindsHardCut) {
  std::vector<AnalysisImage> images;
  for (int i = 0; i < 30; ++i) images.push_back(Flat(60, 100, 150));
  for (int i = 0; i < 30; ++i) images.push_back(Flat(180, 160, 90));

  std::vector<double> cuts = CutTimes(images);

  ASSERT_EQ(cuts.size(), 1u);
  EXPECT_DOUBLE_EQ(cuts[0], 30 * 0.04);
}

TEST(SceneDetector, IgnoresFlash) {
  std::vector<AnalysisImage> images;
  for (int i = 0; i < 60; ++i) images.push_back(i == 30 ? Flat(250) : Stripes(i));

  EXPECT_TRUE(CutTimes(images).empty());
}

TEST(SceneDetector, IgnoresFade) {
  std::vector<AnalysisImage> images;
  for (int i = 0; i < 50; ++i) images.push_back(Flat(static_cast<uint8_t>(200 - i * 4)));

  EXPECT_TRUE(CutTimes(images).empty());
}

TEST(SceneDetector, IgnoresSteadyMotion) {
  std::vector<AnalysisImage> images;
  for (int i = 0; i < 60; ++i) images.push_back(Stripes(3 * i));

  EXPECT_TRUE(CutTimes(images).empty());
}

TEST(SceneDetector, CutAtLastFrame) {
  std::vector<AnalysisImage> images;
  for (int i = 0; i < 20; ++i) images.push_back(Flat(30));
  images.push_back(Flat(220, 60, 60));

  std::vector<double> cuts = CutTimes(images);

  ASSERT_EQ(cuts.size(), 1u);
  EXPECT_DOUBLE_EQ(cuts[0], 20 * 0.04);
}

TEST(SceneDetector, VerdictsWaitForLookahead) {
  SceneDetectOptions options;
  options.lookahead = 2;
  SceneDetector detector(options);

  EXPECT_TRUE(detector.Add(0.0, Flat(10)).empty());
  EXPECT_TRUE(detector.Add(0.1, Flat(10)).empty());
  std::vector<FrameVerdict> verdicts = detector.Add(0.2, Flat(10));

  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_DOUBLE_EQ(verdicts[0].time_s, 0.0);
  EXPECT_EQ(detector.Finish().size(), 2u);
}

}  // namespace
}  // namespace msearch::media
