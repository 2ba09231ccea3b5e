#include "preprocess/image_decode.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include <gtest/gtest.h>
#include <vips/vips8>

#include "media/init.h"
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
