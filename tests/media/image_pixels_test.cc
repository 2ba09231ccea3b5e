#include "media/image_pixels.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "media/corpus_manifest.h"
#include "media/video_fixtures.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::media {
namespace {

using testing::CorpusEntry;

constexpr int kShortSide = 224;

struct Size {
  int width = 0;
  int height = 0;
};

// The size DecodeRgb must return for an upright `width` x `height` image:
// shorter side kShortSide, or unchanged when already smaller.
Size ExpectedSize(int width, int height) {
  int shorter = std::min(width, height);
  if (shorter <= kShortSide) return {width, height};
  double scale = static_cast<double>(kShortSide) / shorter;
  return {static_cast<int>(std::lround(width * scale)),
          static_cast<int>(std::lround(height * scale))};
}

// Images that decode: every corpus image except the one over the pixel
// limit, and the valid PNG in the broken folder.
std::vector<CorpusEntry> DecodableImages() {
  std::vector<CorpusEntry> entries;
  for (const auto& entry : testing::CorpusEntriesOfKind({"image", "broken"})) {
    if (entry.kind == "broken" && !entry.expected.contains("format")) continue;
    if (entry.FileName() == "huge_20000x20000_gray.png") continue;
    entries.push_back(entry);
  }
  return entries;
}

class DecodeRgbCorpusTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(DecodeRgbCorpusTest, UprightRgbOfRequestedSize) {
  const CorpusEntry& entry = GetParam();
  Size expected =
      ExpectedSize(entry.expected.at("width").get<int>(), entry.expected.at("height").get<int>());

  RgbImage image = DecodeRgb(entry.FullPath(), kShortSide);

  EXPECT_NEAR(image.width, expected.width, 1);
  EXPECT_NEAR(image.height, expected.height, 1);
  EXPECT_GE(std::min(image.width, image.height),
            std::min({kShortSide, expected.width, expected.height}));
  ASSERT_EQ(image.rgb.size(), static_cast<size_t>(image.width) * image.height * 3);
  EXPECT_FALSE(image.rgb.empty());
}

INSTANTIATE_TEST_SUITE_P(Corpus, DecodeRgbCorpusTest, ::testing::ValuesIn(DecodableImages()),
                         testing::CorpusTestName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DecodeRgbCorpusTest);

class DecodeRgbBrokenTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(DecodeRgbBrokenTest, FailsNamingFile) {
  const CorpusEntry& entry = GetParam();
  std::string name = entry.FileName();
  try {
    DecodeRgb(entry.FullPath(), kShortSide);
    FAIL() << "decoding " << name << " did not fail";
  } catch (const MediaError& error) {
    EXPECT_NE(std::string(error.what()).find(name), std::string::npos) << error.what();
  }
}

std::vector<CorpusEntry> BrokenImages() {
  std::vector<CorpusEntry> entries;
  for (const auto& entry : testing::UnreadableBrokenEntries()) {
    std::string extension = entry.FullPath().extension().string();
    if (extension == ".jpg" || extension == ".png") entries.push_back(entry);
  }
  return entries;
}

INSTANTIATE_TEST_SUITE_P(Corpus, DecodeRgbBrokenTest, ::testing::ValuesIn(BrokenImages()),
                         testing::CorpusTestName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DecodeRgbBrokenTest);

TEST(DecodeRgb, CmykColoursPlausible) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  std::filesystem::path path = shared / "corpus/images/cmyk_butterfly.jpg";

  RgbImage image = DecodeRgb(path, 128);

  // FFmpeg's JPEG decoder converts CMYK with a plain formula rather than an
  // ICC profile, so the two differ in tone but agree on the colours. Read
  // without conversion, CMYK comes out as a colour negative.
  RgbImage reference = testing::FfmpegFrameAt(path, 0, image.width, image.height);
  RgbImage negative = reference;
  for (uint8_t& value : negative.rgb) value = static_cast<uint8_t>(255 - value);
  EXPECT_LT(testing::MeanAbsoluteDifference(image, reference), 35);
  EXPECT_GT(testing::MeanAbsoluteDifference(image, negative), 80);
}

TEST(DecodeRgb, AlphaFlattenedOnGrey) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);

  // The lossless WebP heart has transparent corners.
  RgbImage image = DecodeRgb(shared / "corpus/images/webp_lossless_alpha_heart.webp", 224);

  ASSERT_EQ(image.rgb.size(), static_cast<size_t>(image.width) * image.height * 3);
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(image.rgb[c], kAlphaBackgroundGrey, 2) << "channel " << c;
  }
}

TEST(DecodeRgb, ExifOrientationApplied) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  // The seven orientation files (2 to 8) show the same upright picture.
  RgbImage upright = DecodeRgb(shared / "corpus/images/exif_orientation_2.jpg", 120);
  for (int orientation = 3; orientation <= 8; ++orientation) {
    SCOPED_TRACE("orientation " + std::to_string(orientation));
    std::string name = "corpus/images/exif_orientation_" + std::to_string(orientation) + ".jpg";

    RgbImage image = DecodeRgb(shared / name, 120);

    ASSERT_EQ(image.width, upright.width);
    ASSERT_EQ(image.height, upright.height);
    EXPECT_LT(testing::MeanAbsoluteDifference(image, upright), 12);
  }
}

TEST(DecodeRgb, NeverBelowRequestedSide) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  // 1280x960: a shrink-on-load factor of 4 would give 320x240, below 300.
  RgbImage image = DecodeRgb(shared / "corpus/images/scenetext_sports_centre_sign.jpg", 300);

  EXPECT_EQ(image.height, 300);
  EXPECT_EQ(image.width, 400);
}

TEST(DecodeRgb, PixelLimitNamesFile) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  std::filesystem::path huge = shared / "corpus/images/huge_20000x20000_gray.png";
  try {
    DecodeRgb(huge, 224);
    FAIL() << "decoding a 400-megapixel PNG did not fail";
  } catch (const MediaError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("huge_20000x20000_gray.png"), std::string::npos) << message;
    EXPECT_NE(message.find("too large"), std::string::npos) << message;
  }
}

TEST(DecodeRgb, LargeJpegShrinksOnLoad) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  DecodeLimits limits;
  // Below the 1.2-megapixel sign photo: JPEG can still shrink on load.
  limits.max_image_pixels = 100'000;

  RgbImage image =
      DecodeRgb(shared / "corpus/images/scenetext_sports_centre_sign.jpg", 224, limits);

  EXPECT_EQ(image.height, 224);
}

TEST(DecodeRgb, MissingFileNamesFile) {
  msearch::testing::TempDir dir;
  try {
    DecodeRgb(dir / "absent.jpg", 224);
    FAIL() << "decoding a missing file did not fail";
  } catch (const MediaError& error) {
    EXPECT_NE(std::string(error.what()).find("absent.jpg"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace msearch::media
