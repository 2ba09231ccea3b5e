#include "search/rank_fusion.h"

#include <vector>

#include <gtest/gtest.h>

namespace msearch::search {
namespace {

TEST(RankFusion, CalibrateMapsFloorAndCeiling) {
  ScoreCalibration calibration{0.2, 0.4};
  EXPECT_DOUBLE_EQ(Calibrate(0.1, calibration), 0.0);
  EXPECT_DOUBLE_EQ(Calibrate(0.2, calibration), 0.0);
  EXPECT_NEAR(Calibrate(0.3, calibration), 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(Calibrate(0.4, calibration), 1.0);
  EXPECT_DOUBLE_EQ(Calibrate(0.9, calibration), 1.0);
}

TEST(RankFusion, CalibrateWithEmptySpan) {
  ScoreCalibration step{0.5, 0.5};
  EXPECT_DOUBLE_EQ(Calibrate(0.49, step), 0.0);
  EXPECT_DOUBLE_EQ(Calibrate(0.5, step), 1.0);
}

TEST(RankFusion, CombineIsNoisyOr) {
  EXPECT_DOUBLE_EQ(CombineScores(std::vector<double>{}), 0.0);
  EXPECT_DOUBLE_EQ(CombineScores(std::vector<double>{0.6}), 0.6);
  EXPECT_NEAR(CombineScores(std::vector<double>{0.5, 0.5}), 0.75, 1e-12);
  EXPECT_NEAR(CombineScores(std::vector<double>{0.9, 0.2}), 0.92, 1e-12);
  EXPECT_DOUBLE_EQ(CombineScores(std::vector<double>{1.0, 0.3}), 1.0);
  // Out-of-range inputs are clamped.
  EXPECT_DOUBLE_EQ(CombineScores(std::vector<double>{1.5}), 1.0);
  EXPECT_DOUBLE_EQ(CombineScores(std::vector<double>{-0.5}), 0.0);
}

TEST(RankFusion, ShiftToAudioKeepsMaximumAtOne) {
  ModalityWeights weights;  // all 1
  ModalityWeights shifted = ShiftToAudio(weights, 2.0);
  EXPECT_DOUBLE_EQ(shifted.audio, 1.0);
  EXPECT_DOUBLE_EQ(shifted.image, 0.5);
  EXPECT_DOUBLE_EQ(shifted.video, 0.5);
  EXPECT_DOUBLE_EQ(shifted.text, 0.5);
}

TEST(RankFusion, ShiftToAudioFromLowAudioWeight) {
  ModalityWeights weights{1.0, 0.8, 0.25, 1.0};
  ModalityWeights shifted = ShiftToAudio(weights, 2.0);
  EXPECT_DOUBLE_EQ(shifted.image, 1.0);
  EXPECT_DOUBLE_EQ(shifted.audio, 0.5);
  EXPECT_DOUBLE_EQ(shifted.For(Modality::kVideo), 0.8);
  // A factor below 1 never lowers audio.
  EXPECT_DOUBLE_EQ(ShiftToAudio(weights, 0.1).audio, 0.25);
}

TEST(RankFusion, ModalityNames) {
  EXPECT_EQ(ModalityName(Modality::kImage), "image");
  EXPECT_EQ(ModalityName(Modality::kVideo), "video");
  EXPECT_EQ(ModalityName(Modality::kAudio), "audio");
  EXPECT_EQ(ModalityName(Modality::kText), "text");
}

}  // namespace
}  // namespace msearch::search
