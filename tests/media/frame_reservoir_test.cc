#include "media/frame_reservoir.h"

#include <gtest/gtest.h>

namespace msearch::media {
namespace {

TimedFrame FrameAt(double time_s) {
  return TimedFrame{time_s, RgbImage{1, 1, {static_cast<uint8_t>(time_s), 0, 0}}};
}

// Offers a frame every 0.04 s from `start_s` to `end_s`.
void Offer(FrameReservoir& reservoir, double start_s, double end_s) {
  for (double time = start_s; time < end_s; time += 0.04) {
    if (reservoir.Wants(time)) reservoir.Add(FrameAt(time));
  }
}

TEST(FrameReservoir, StaysWithinCapacity) {
  FrameReservoir reservoir(16, 0.5);

  Offer(reservoir, 0, 600);

  EXPECT_LE(reservoir.size(), 16u);
  EXPECT_GE(reservoir.size(), 8u);
}

TEST(FrameReservoir, PickSpreadsEvenly) {
  FrameReservoir reservoir(16, 0.5);
  Offer(reservoir, 0, 30);

  std::vector<TimedFrame> picked = reservoir.Pick(0, 30, 4);

  ASSERT_EQ(picked.size(), 4u);
  for (size_t k = 0; k < picked.size(); ++k) {
    double target = (k + 0.5) * 30 / 4;
    // Half the spacing of 16 candidates over 30 s, at most 2 s after thinning.
    EXPECT_NEAR(picked[k].time_s, target, 1.1) << "frame " << k;
  }
}

TEST(FrameReservoir, PickRepeatsWhenFewFrames) {
  FrameReservoir reservoir(16, 0.5);
  reservoir.Add(FrameAt(1.0));

  std::vector<TimedFrame> picked = reservoir.Pick(0, 2, 3);

  ASSERT_EQ(picked.size(), 3u);
  for (const TimedFrame& frame : picked) EXPECT_DOUBLE_EQ(frame.time_s, 1.0);
}

TEST(FrameReservoir, PickEmptyReturnsNothing) {
  FrameReservoir reservoir(16, 0.5);
  EXPECT_TRUE(reservoir.Pick(0, 2, 3).empty());
  EXPECT_EQ(reservoir.Nearest(1, 0, 2), nullptr);
}

TEST(FrameReservoir, SplitAtMovesLaterFrames) {
  FrameReservoir reservoir(16, 0.5);
  Offer(reservoir, 0, 4);

  FrameReservoir later = reservoir.SplitAt(2.0);

  ASSERT_FALSE(reservoir.empty());
  ASSERT_FALSE(later.empty());
  EXPECT_LT(reservoir.Nearest(10, 0, 10)->time_s, 2.0);
  EXPECT_GE(later.Nearest(0, 0, 10)->time_s, 2.0);
  EXPECT_EQ(reservoir.size() + later.size(), 8u);
}

TEST(FrameReservoir, NearestPrefersInside) {
  FrameReservoir reservoir(16, 0.5);
  reservoir.Add(FrameAt(0.9));
  reservoir.Add(FrameAt(2.5));

  EXPECT_DOUBLE_EQ(reservoir.Nearest(1.1, 1.0, 3.0)->time_s, 2.5);
  EXPECT_DOUBLE_EQ(reservoir.Nearest(1.1, 0.0, 3.0)->time_s, 0.9);
}

}  // namespace
}  // namespace msearch::media
