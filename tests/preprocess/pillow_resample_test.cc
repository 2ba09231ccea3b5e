#include "preprocess/pillow_resample.h"

#include <vector>

#include <gtest/gtest.h>

#include "preprocess/preprocess_error.h"

namespace msearch::preprocess {
namespace {

RgbImage Gray(int width, int height, const std::vector<uint8_t>& values) {
  RgbImage image{width, height, {}};
  for (uint8_t v : values) image.pixels.insert(image.pixels.end(), {v, v, v});
  return image;
}

std::vector<uint8_t> RedChannel(const RgbImage& image) {
  std::vector<uint8_t> red;
  for (size_t i = 0; i < image.pixels.size(); i += 3) red.push_back(image.pixels[i]);
  return red;
}

TEST(ResizeRgb, BoxAveragesAndRoundsHalfUp) {
  RgbImage out = ResizeRgb(Gray(2, 1, {0, 255}), 1, 1, ResampleFilter::kBox);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{128, 128, 128}));
}

// Values worked out from Pillow's algorithm by hand: centres at 0.25, 0.75,
// 1.25, 1.75 source pixels, weights 0.75/0.25 in 22-bit fixed point.
TEST(ResizeRgb, BilinearUpscaleMatchesPillow) {
  RgbImage out = ResizeRgb(Gray(2, 1, {0, 255}), 4, 1, ResampleFilter::kBilinear);
  EXPECT_EQ(RedChannel(out), (std::vector<uint8_t>{0, 64, 191, 255}));
}

TEST(ResizeRgb, ConstantImageStaysConstant) {
  for (ResampleFilter filter :
       {ResampleFilter::kBicubic, ResampleFilter::kLanczos, ResampleFilter::kBilinear,
        ResampleFilter::kHamming, ResampleFilter::kBox}) {
    RgbImage image = Gray(50, 30, std::vector<uint8_t>(1500, 77));
    for (auto [width, height] : {std::pair{17, 11}, std::pair{123, 77}, std::pair{50, 7}}) {
      RgbImage out = ResizeRgb(image, width, height, filter);
      EXPECT_EQ(out.pixels, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3, 77))
          << "filter " << static_cast<int>(filter) << " to " << width << "x" << height;
    }
  }
}

// A row resized horizontally and the same values as a column resized
// vertically go through different passes but must agree.
TEST(ResizeRgb, HorizontalAndVerticalPassesAgree) {
  std::vector<uint8_t> values;
  for (int i = 0; i < 37; ++i) values.push_back(static_cast<uint8_t>((i * 97) % 256));
  RgbImage row = ResizeRgb(Gray(37, 1, values), 11, 1, ResampleFilter::kBicubic);
  RgbImage column = ResizeRgb(Gray(1, 37, values), 1, 11, ResampleFilter::kBicubic);
  EXPECT_EQ(row.pixels, column.pixels);
  RgbImage wide = ResizeRgb(Gray(37, 1, values), 90, 1, ResampleFilter::kBicubic);
  RgbImage tall = ResizeRgb(Gray(1, 37, values), 1, 90, ResampleFilter::kBicubic);
  EXPECT_EQ(wide.pixels, tall.pixels);
}

TEST(ResizeRgb, BicubicOvershootIsClipped) {
  RgbImage out = ResizeRgb(Gray(4, 1, {0, 0, 255, 255}), 9, 1, ResampleFilter::kBicubic);
  std::vector<uint8_t> red = RedChannel(out);
  EXPECT_EQ(red.front(), 0);
  EXPECT_EQ(red.back(), 255);
  for (size_t i = 1; i < red.size(); ++i) EXPECT_LE(red[i - 1], red[i]) << i;
}

TEST(ResizeRgb, SameSizeIsACopy) {
  RgbImage image = Gray(3, 2, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(ResizeRgb(image, 3, 2, ResampleFilter::kBicubic).pixels, image.pixels);
}

TEST(ResizeRgb, RejectsBadSizes) {
  RgbImage image = Gray(3, 2, {1, 2, 3, 4, 5, 6});
  EXPECT_THROW(ResizeRgb(image, 0, 2, ResampleFilter::kBicubic), PreprocessError);
  EXPECT_THROW(ResizeRgb(RgbImage{}, 2, 2, ResampleFilter::kBicubic), PreprocessError);
  RgbImage inconsistent{4, 4, std::vector<uint8_t>(5)};
  EXPECT_THROW(ResizeRgb(inconsistent, 2, 2, ResampleFilter::kBicubic), PreprocessError);
}

}  // namespace
}  // namespace msearch::preprocess
