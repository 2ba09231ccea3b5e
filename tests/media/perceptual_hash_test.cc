#include "media/perceptual_hash.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <vips/vips8>

#include "media/image_pixels.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::media {
namespace {

// Hashes of one picture after re-encoding or resizing stay within this
// many bits, and hashes of different pictures are further apart than the
// second bound.
constexpr int kSameImageMaxDistance = 6;
constexpr int kDifferentImageMinDistance = 16;

const std::vector<std::string> kPhotos = {
    "building_hotel.jpg",     "cat_chelsea_baseline.jpg", "coffee_cup_progressive.jpg",
    "landscape_dune_sea.jpg", "rocket_launch.jpg",        "scenetext_sports_centre_sign.jpg",
    "tiff_lzw_street.tif",    "webp_lossy_ladybird.webp", "bmp24_yellow_flower.bmp",
    "icc_adobergb_apple.jpg"};

std::filesystem::path Photo(const std::filesystem::path& shared, const std::string& name) {
  return shared / "corpus/images" / name;
}

// Writes `source` again as a JPEG of quality `quality`, `scale` times its size.
std::filesystem::path Reencode(const std::filesystem::path& source,
                               const std::filesystem::path& output, int quality, double scale) {
  vips::VImage image = vips::VImage::new_from_file(source.c_str());
  if (scale != 1.0) image = image.resize(scale);
  image.jpegsave(output.c_str(), vips::VImage::option()->set("Q", quality));
  return output;
}

RgbImage Gradient(bool horizontal) {
  RgbImage image{64, 64, std::vector<uint8_t>(64 * 64 * 3)};
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      uint8_t value = static_cast<uint8_t>((horizontal ? x : y) * 4);
      for (int c = 0; c < 3; ++c) image.rgb[(y * 64 + x) * 3 + c] = value;
    }
  }
  return image;
}

TEST(HammingDistance, CountsDifferingBits) {
  EXPECT_EQ(HammingDistance(0, 0), 0);
  EXPECT_EQ(HammingDistance(0, ~uint64_t{0}), 64);
  EXPECT_EQ(HammingDistance(0b1011, 0b0110), 3);
}

TEST(PerceptualHash, EmptyImageIsZero) { EXPECT_EQ(PerceptualHash(RgbImage{}), 0u); }

TEST(PerceptualHash, Deterministic) {
  EXPECT_EQ(PerceptualHash(Gradient(true)), PerceptualHash(Gradient(true)));
}

TEST(PerceptualHash, GradientsDiffer) {
  EXPECT_GE(HammingDistance(PerceptualHash(Gradient(true)), PerceptualHash(Gradient(false))),
            kDifferentImageMinDistance);
}

TEST(PerceptualHash, TinyImageHashes) {
  RgbImage pixel{1, 1, {200, 10, 10}};
  RgbImage two{2, 1, {0, 0, 0, 255, 255, 255}};
  EXPECT_EQ(PerceptualHash(pixel), PerceptualHash(pixel));
  EXPECT_NE(PerceptualHash(two), PerceptualHash(pixel));
}

TEST(PerceptualHash, SurvivesReencodeAndResize) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir dir;
  for (const std::string& name : kPhotos) {
    SCOPED_TRACE(name);
    std::filesystem::path original = Photo(shared, name);
    uint64_t hash = PerceptualHash(DecodeRgb(original, 256));

    uint64_t low_quality =
        PerceptualHash(DecodeRgb(Reencode(original, dir / "q30.jpg", 30, 1.0), 256));
    uint64_t half_size =
        PerceptualHash(DecodeRgb(Reencode(original, dir / "half.jpg", 85, 0.5), 256));
    uint64_t small_decode = PerceptualHash(DecodeRgb(original, 64));

    EXPECT_LE(HammingDistance(hash, low_quality), kSameImageMaxDistance);
    EXPECT_LE(HammingDistance(hash, half_size), kSameImageMaxDistance);
    EXPECT_LE(HammingDistance(hash, small_decode), kSameImageMaxDistance);
  }
}

TEST(PerceptualHash, DifferentPhotosFarApart) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  std::vector<uint64_t> hashes;
  for (const std::string& name : kPhotos) {
    hashes.push_back(PerceptualHash(DecodeRgb(Photo(shared, name), 256)));
  }
  for (size_t i = 0; i < hashes.size(); ++i) {
    for (size_t j = i + 1; j < hashes.size(); ++j) {
      EXPECT_GE(HammingDistance(hashes[i], hashes[j]), kDifferentImageMinDistance)
          << kPhotos[i] << " vs " << kPhotos[j];
    }
  }
}

}  // namespace
}  // namespace msearch::media
