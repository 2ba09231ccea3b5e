#include "common/clock.h"

#include <limits>

#include <gtest/gtest.h>

namespace msearch {
namespace {

TEST(FormatIso8601, Epoch) { EXPECT_EQ(FormatIso8601(0), "1970-01-01T00:00:00.000Z"); }

TEST(FormatIso8601, KnownInstant) {
  // 2023-11-14T22:13:20Z is 1700000000 seconds after the epoch.
  EXPECT_EQ(FormatIso8601(1700000000.0), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(FormatIso8601(1700000000.5), "2023-11-14T22:13:20.500Z");
}

TEST(FormatIso8601, MillisecondsRoundToNearest) {
  // 0.123 and 0.007 have no exact binary form, so truncation would print .122
  // and .006.
  EXPECT_EQ(FormatIso8601(1.123), "1970-01-01T00:00:01.123Z");
  EXPECT_EQ(FormatIso8601(1700000000.007), "2023-11-14T22:13:20.007Z");
  EXPECT_EQ(FormatIso8601(1700000000.999), "2023-11-14T22:13:20.999Z");
}

TEST(FormatIso8601, RoundingCarriesIntoSeconds) {
  EXPECT_EQ(FormatIso8601(59.9996), "1970-01-01T00:01:00.000Z");
}

TEST(FormatIso8601, LeapDay) {
  // 2024-02-29T12:00:00Z.
  EXPECT_EQ(FormatIso8601(1709208000.25), "2024-02-29T12:00:00.250Z");
}

TEST(FormatIso8601, InvalidInputGivesEmpty) {
  EXPECT_EQ(FormatIso8601(-1), "");
  EXPECT_EQ(FormatIso8601(std::numeric_limits<double>::quiet_NaN()), "");
  EXPECT_EQ(FormatIso8601(std::numeric_limits<double>::infinity()), "");
}

TEST(NowSeconds, CloseToSystemTime) {
  // Any time after 2020-01-01 and before 2200 shows the unit is seconds.
  double now = NowSeconds();
  EXPECT_GT(now, 1577836800.0);
  EXPECT_LT(now, 7258118400.0);
}

TEST(MonotonicSeconds, NeverDecreases) {
  double previous = MonotonicSeconds();
  for (int i = 0; i < 1000; ++i) {
    double current = MonotonicSeconds();
    ASSERT_GE(current, previous);
    previous = current;
  }
}

}  // namespace
}  // namespace msearch
