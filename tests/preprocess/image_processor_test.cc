#include "preprocess/image_processor.h"

#include <fstream>

#include <gtest/gtest.h>

#include "preprocess/preprocess_error.h"
#include "support/temp_dir.h"

namespace msearch::preprocess {
namespace {

// An image whose red channel is the column and green channel the row.
RgbImage Coordinates(int width, int height) {
  RgbImage image{width, height, {}};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.pixels.insert(image.pixels.end(),
                          {static_cast<uint8_t>(x), static_cast<uint8_t>(y), 200});
    }
  }
  return image;
}

ImageProcessorConfig CropConfig(int height, int width) {
  ImageProcessorConfig config;
  config.crop_height = height;
  config.crop_width = width;
  return config;
}

TEST(ImageProcessor, ShortestEdgeSizes) {
  ImageProcessor processor{ImageProcessorConfig{}};
  EXPECT_EQ(processor.ResizedSize(640, 427), (std::pair{335, 224}));
  EXPECT_EQ(processor.ResizedSize(270, 400), (std::pair{224, 331}));
  EXPECT_EQ(processor.ResizedSize(337, 330), (std::pair{228, 224}));
  EXPECT_EQ(processor.ResizedSize(384, 191), (std::pair{450, 224}));  // upscaled
  EXPECT_EQ(processor.ResizedSize(224, 500), (std::pair{224, 500}));  // already fits
  EXPECT_EQ(processor.ResizedSize(300, 300), (std::pair{224, 224}));
}

TEST(ImageProcessor, FixedSizeIgnoresAspectRatio) {
  ImageProcessorConfig config;
  config.resize_mode = ResizeMode::kFixed;
  config.resize_height = 224;
  config.resize_width = 200;
  EXPECT_EQ(ImageProcessor(config).ResizedSize(640, 427), (std::pair{200, 224}));
}

TEST(ImageProcessor, CenterCropRoundsOffsetsDown) {
  RgbImage crop = ImageProcessor(CropConfig(2, 2)).CenterCrop(Coordinates(5, 4));
  ASSERT_EQ(crop.width, 2);
  ASSERT_EQ(crop.height, 2);
  // left = (5 - 2) / 2 = 1, top = (4 - 2) / 2 = 1
  EXPECT_EQ(crop.pixels, (std::vector<uint8_t>{1, 1, 200, 2, 1, 200, 1, 2, 200, 2, 2, 200}));
}

TEST(ImageProcessor, CenterCropPadsSmallImage) {
  RgbImage crop = ImageProcessor(CropConfig(3, 4)).CenterCrop(Coordinates(1, 1));
  ASSERT_EQ(crop.pixels.size(), 3u * 4u * 3u);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 4; ++x) {
      const uint8_t blue = crop.pixels[(static_cast<size_t>(y) * 4 + x) * 3 + 2];
      EXPECT_EQ(blue, (y == 1 && x == 1) ? 200 : 0) << x << "," << y;
    }
  }
}

TEST(ImageProcessor, PixelValuesChannelsFirst) {
  ImageProcessorConfig config;
  ImageProcessor processor(config);
  RgbImage image{2, 1, {255, 0, 10, 0, 128, 255}};
  PixelValues values = processor.ToPixelValues(image);
  ASSERT_EQ(values.data.size(), 6u);
  auto expected = [&](int channel, int value) {
    float x = static_cast<float>(value * (1.0 / 255.0));
    return (x - config.image_mean[channel]) / config.image_std[channel];
  };
  EXPECT_EQ(values.data[0], expected(0, 255));
  EXPECT_EQ(values.data[1], expected(0, 0));
  EXPECT_EQ(values.data[2], expected(1, 0));
  EXPECT_EQ(values.data[3], expected(1, 128));
  EXPECT_EQ(values.data[4], expected(2, 10));
  EXPECT_EQ(values.data[5], expected(2, 255));
}

TEST(ImageProcessor, RescaleAndNormalizeCanBeOff) {
  ImageProcessorConfig config;
  config.do_rescale = false;
  config.do_normalize = false;
  PixelValues values = ImageProcessor(config).ToPixelValues(RgbImage{1, 1, {7, 8, 9}});
  EXPECT_EQ(values.data, (std::vector<float>{7, 8, 9}));
}

TEST(ImageProcessor, ProcessGivesCropSize) {
  PixelValues values = ImageProcessor(ImageProcessorConfig{}).Process(Coordinates(100, 60));
  EXPECT_EQ(values.width, 224);
  EXPECT_EQ(values.height, 224);
  EXPECT_EQ(values.data.size(), 3u * 224 * 224);
}

TEST(ImageProcessor, ProcessFileErrors) {
  msearch::testing::TempDir dir;
  ImageProcessor processor{ImageProcessorConfig{}};
  EXPECT_THROW(processor.ProcessFile(dir / "absent.jpg"), PreprocessError);
  std::ofstream(dir / "garbage.jpg") << "this is not an image";
  EXPECT_THROW(processor.ProcessFile(dir / "garbage.jpg"), PreprocessError);
}

}  // namespace
}  // namespace msearch::preprocess
