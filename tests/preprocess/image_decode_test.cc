#include "preprocess/image_decode.h"

#include <cstddef>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <vips/vips8>

#include "media/image_pixels.h"
#include "media/init.h"
#include "preprocess/image_processor.h"
#include "preprocess/preprocess_error.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::preprocess {
namespace {

using msearch::testing::TempDir;

// Writes `samples` (width x height x bands, 8 or 16 bits) to `path` with
// libvips, the format following the extension.
void WriteImage(const std::filesystem::path& path, int width, int height, int bands,
                const void* samples, VipsBandFormat format, VipsInterpretation interpretation,
                int orientation = 0) {
  media::EnsureMediaInitialized();
  const size_t bytes =
      static_cast<size_t>(width) * height * bands * (format == VIPS_FORMAT_USHORT ? 2 : 1);
  vips::VImage image =
      vips::VImage::new_from_memory(const_cast<void*>(samples), bytes, width, height, bands, format)
          .copy(vips::VImage::option()->set("interpretation", interpretation));
  if (orientation != 0) image.set("orientation", orientation);
  image.write_to_file(path.c_str());
}

TEST(DecodeRgbImage, AlphaIsDroppedNotComposited) {
  TempDir dir;
  const uint8_t rgba[] = {10, 20, 30, 0, 200, 100, 50, 128};
  WriteImage(dir / "alpha.png", 2, 1, 4, rgba, VIPS_FORMAT_UCHAR, VIPS_INTERPRETATION_sRGB);
  RgbImage image = DecodeRgbImage(dir / "alpha.png");
  EXPECT_EQ(image.width, 2);
  EXPECT_EQ(image.height, 1);
  EXPECT_EQ(image.pixels, (std::vector<uint8_t>{10, 20, 30, 200, 100, 50}));
}

TEST(DecodeRgbImage, GrayIsReplicated) {
  TempDir dir;
  const uint8_t gray[] = {0, 77, 255};
  WriteImage(dir / "gray.png", 3, 1, 1, gray, VIPS_FORMAT_UCHAR, VIPS_INTERPRETATION_B_W);
  EXPECT_EQ(DecodeRgbImage(dir / "gray.png").pixels,
            (std::vector<uint8_t>{0, 0, 0, 77, 77, 77, 255, 255, 255}));
  const uint8_t gray_alpha[] = {90, 0, 180, 255};
  WriteImage(dir / "gray_alpha.png", 2, 1, 2, gray_alpha, VIPS_FORMAT_UCHAR,
             VIPS_INTERPRETATION_B_W);
  EXPECT_EQ(DecodeRgbImage(dir / "gray_alpha.png").pixels,
            (std::vector<uint8_t>{90, 90, 90, 180, 180, 180}));
}

TEST(DecodeRgbImage, SixteenBitKeepsHighByte) {
  TempDir dir;
  const uint16_t rgb[] = {0x1234, 0xABCD, 0xFFFF};
  WriteImage(dir / "deep.png", 1, 1, 3, rgb, VIPS_FORMAT_USHORT, VIPS_INTERPRETATION_RGB16);
  EXPECT_EQ(DecodeRgbImage(dir / "deep.png").pixels, (std::vector<uint8_t>{0x12, 0xAB, 0xFF}));
}

TEST(DecodeRgbImage, ExifOrientationIsIgnored) {
  TempDir dir;
  std::vector<uint8_t> rgb(4 * 2 * 3, 128);
  WriteImage(dir / "rotated.jpg", 4, 2, 3, rgb.data(), VIPS_FORMAT_UCHAR, VIPS_INTERPRETATION_sRGB,
             /*orientation=*/6);
  vips::VImage header = vips::VImage::new_from_file((dir / "rotated.jpg").c_str());
  ASSERT_EQ(header.get_int("orientation"), 6);
  RgbImage image = DecodeRgbImage(dir / "rotated.jpg");
  EXPECT_EQ(image.width, 4);
  EXPECT_EQ(image.height, 2);
}

TEST(DecodeRgbImage, RejectsTooManyPixels) {
  TempDir dir;
  std::vector<uint8_t> rgb(5 * 5 * 3, 1);
  WriteImage(dir / "small.png", 5, 5, 3, rgb.data(), VIPS_FORMAT_UCHAR, VIPS_INTERPRETATION_sRGB);
  EXPECT_THROW(DecodeRgbImage(dir / "small.png", 24), PreprocessError);
  EXPECT_EQ(DecodeRgbImage(dir / "small.png", 25).pixels.size(), 75u);
}

// Returns width x height RGB pixels whose red and green channels encode the
// position along the longer side (low and high byte) and whose blue channel is
// the position along the shorter side, so a crop shows where it starts.
std::vector<uint8_t> PositionCodedPixels(int width, int height) {
  std::vector<uint8_t> rgb;
  rgb.reserve(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const int along = width >= height ? x : y;
      const int across = width >= height ? y : x;
      rgb.push_back(static_cast<uint8_t>(along % 256));
      rgb.push_back(static_cast<uint8_t>(along / 256));
      rgb.push_back(static_cast<uint8_t>(across));
    }
  }
  return rgb;
}

// Returns the pixels of the `width` x `height` window at (`left`, `top`) of
// `rgb`, an image `source_width` pixels wide.
std::vector<uint8_t> Window(const std::vector<uint8_t>& rgb, int source_width, int left, int top,
                            int width, int height) {
  std::vector<uint8_t> window;
  for (int y = top; y < top + height; ++y) {
    const auto row = rgb.begin() + (static_cast<ptrdiff_t>(y) * source_width + left) * 3;
    window.insert(window.end(), row, row + static_cast<ptrdiff_t>(width) * 3);
  }
  return window;
}

TEST(DecodeRgbImage, WideImageCroppedToCentre) {
  TempDir dir;
  std::vector<uint8_t> rgb = PositionCodedPixels(10000, 16);
  WriteImage(dir / "wide.png", 10000, 16, 3, rgb.data(), VIPS_FORMAT_UCHAR,
             VIPS_INTERPRETATION_sRGB);

  RgbImage image = DecodeRgbImage(dir / "wide.png");

  ASSERT_EQ(media::kMaxAspectRatio, 8);
  EXPECT_EQ(image.width, 128);
  EXPECT_EQ(image.height, 16);
  // (10000 - 128) / 2 columns are cut on each side.
  EXPECT_EQ(image.pixels, Window(rgb, 10000, 4936, 0, 128, 16));
}

TEST(DecodeRgbImage, TallImageCroppedToCentre) {
  TempDir dir;
  std::vector<uint8_t> rgb = PositionCodedPixels(16, 10001);
  WriteImage(dir / "tall.png", 16, 10001, 3, rgb.data(), VIPS_FORMAT_UCHAR,
             VIPS_INTERPRETATION_sRGB);

  RgbImage image = DecodeRgbImage(dir / "tall.png");

  EXPECT_EQ(image.width, 16);
  EXPECT_EQ(image.height, 128);
  // An odd number of cut rows leaves one more at the bottom.
  EXPECT_EQ(image.pixels, Window(rgb, 16, 0, 4936, 16, 128));
}

TEST(DecodeRgbImage, AspectRatioLimitInclusive) {
  TempDir dir;
  std::vector<uint8_t> at_limit = PositionCodedPixels(128, 16);
  WriteImage(dir / "at_limit.png", 128, 16, 3, at_limit.data(), VIPS_FORMAT_UCHAR,
             VIPS_INTERPRETATION_sRGB);
  std::vector<uint8_t> over_limit = PositionCodedPixels(129, 16);
  WriteImage(dir / "over_limit.png", 129, 16, 3, over_limit.data(), VIPS_FORMAT_UCHAR,
             VIPS_INTERPRETATION_sRGB);

  EXPECT_EQ(DecodeRgbImage(dir / "at_limit.png").pixels, at_limit);
  RgbImage cropped = DecodeRgbImage(dir / "over_limit.png");
  EXPECT_EQ(cropped.width, 128);
  EXPECT_EQ(cropped.pixels, Window(over_limit, 129, 0, 0, 128, 16));
}

// For 10000x16 the crop changes neither the resize scale nor the centre:
// both 10000 -> 140000 and 128 -> 1792 scale by exactly 14, and the centre
// crops start at 69888 = 14 * 4936 + 784 and 784. So the CLIP input equals
// that of the whole image, which the processor resizes to 140000x224.
TEST(DecodeRgbImage, WideImageKeepsClipInput) {
  TempDir dir;
  std::mt19937 random(7);
  RgbImage whole{10000, 16, std::vector<uint8_t>(10000 * 16 * 3)};
  for (uint8_t& sample : whole.pixels) sample = static_cast<uint8_t>(random());
  WriteImage(dir / "noise.png", whole.width, whole.height, 3, whole.pixels.data(),
             VIPS_FORMAT_UCHAR, VIPS_INTERPRETATION_sRGB);
  const ImageProcessor processor{ImageProcessorConfig{}};

  PixelValues from_file = processor.ProcessFile(dir / "noise.png");
  PixelValues from_whole = processor.Process(whole);

  EXPECT_EQ(from_file.width, 224);
  EXPECT_EQ(from_file.height, 224);
  EXPECT_TRUE(from_file.data == from_whole.data) << "model input differs from the whole image's";
}

TEST(DecodeRgbImage, MissingAndCorruptFiles) {
  TempDir dir;
  try {
    DecodeRgbImage(dir / "absent.png");
    FAIL() << "expected PreprocessError";
  } catch (const PreprocessError& error) {
    EXPECT_NE(std::string(error.what()).find("absent.png"), std::string::npos) << error.what();
  }
  std::ofstream(dir / "text.png") << "not a png";
  EXPECT_THROW(DecodeRgbImage(dir / "text.png"), PreprocessError);
}

TEST(DecodeRgbImage, TruncatedJpeg) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  std::ifstream source(shared / "fixtures/models/clip/inputs/landscape.jpg", std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(source)),
                          std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 1000u);
  TempDir dir;
  std::ofstream(dir / "cut.jpg", std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  EXPECT_THROW(DecodeRgbImage(dir / "cut.jpg"), PreprocessError);
}

}  // namespace
}  // namespace msearch::preprocess
