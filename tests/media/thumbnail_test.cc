#include "media/thumbnail.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <vips/vips8>

#include "media/corpus_manifest.h"
#include "media/media_kind.h"
#include "media/probe_and_thumbnail.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::media {
namespace {

using testing::CorpusEntry;

struct Size {
  int width = 0;
  int height = 0;
};

// The size a thumbnail of a `width` x `height` picture must have.
Size FitWithin(int width, int height, int max_size) {
  double scale = std::min(1.0, static_cast<double>(max_size) / std::max(width, height));
  return {std::max(1, static_cast<int>(std::lround(width * scale))),
          std::max(1, static_cast<int>(std::lround(height * scale)))};
}

vips::VImage ReadJpeg(const std::filesystem::path& path) {
  return vips::VImage::new_from_file(path.c_str());
}

// Files in `dir` other than `keep`: leftovers of the temporary-file rename.
std::vector<std::string> OtherFiles(const std::filesystem::path& dir,
                                    const std::filesystem::path& keep) {
  std::vector<std::string> others;
  for (const auto& item : std::filesystem::directory_iterator(dir)) {
    if (item.path() != keep) others.push_back(item.path().filename().string());
  }
  return others;
}

long MaxRssKilobytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

void ExpectThumbnailOf(const std::filesystem::path& output, Size displayed) {
  ASSERT_TRUE(std::filesystem::exists(output));
  vips::VImage thumbnail = ReadJpeg(output);
  Size expected = FitWithin(displayed.width, displayed.height, kDefaultThumbnailSize);
  EXPECT_LE(std::max(thumbnail.width(), thumbnail.height()), kDefaultThumbnailSize);
  EXPECT_NEAR(thumbnail.width(), expected.width, 1);
  EXPECT_NEAR(thumbnail.height(), expected.height, 1);
  EXPECT_EQ(thumbnail.bands(), 3);
  EXPECT_EQ(thumbnail.format(), VIPS_FORMAT_UCHAR);
}

// Images and videos that decode, with the size they are displayed at.
std::vector<CorpusEntry> ThumbnailEntries() {
  std::vector<CorpusEntry> entries;
  for (const auto& entry : testing::CorpusEntriesOfKind({"image", "video", "broken"})) {
    if (entry.kind == "broken" && !entry.expected.contains("format")) continue;
    if (entry.FileName() == "huge_20000x20000_gray.png") continue;
    entries.push_back(entry);
  }
  return entries;
}

class ThumbnailCorpusTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(ThumbnailCorpusTest, FitsAndIsUpright) {
  const CorpusEntry& entry = GetParam();
  msearch::testing::TempDir dir;
  std::filesystem::path output = dir / "thumbs" / "out.jpg";
  auto kind = KindForExtension(entry.FullPath().extension().string());
  ASSERT_TRUE(kind.has_value());

  EXPECT_TRUE(MakeThumbnail(entry.FullPath(), *kind, output));

  ExpectThumbnailOf(
      output, {entry.expected.at("width").get<int>(), entry.expected.at("height").get<int>()});
  EXPECT_TRUE(OtherFiles(output.parent_path(), output).empty());
}

INSTANTIATE_TEST_SUITE_P(Corpus, ThumbnailCorpusTest, ::testing::ValuesIn(ThumbnailEntries()),
                         testing::CorpusTestName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ThumbnailCorpusTest);

class BrokenThumbnailTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(BrokenThumbnailTest, FailsWithoutOutput) {
  const CorpusEntry& entry = GetParam();
  std::string name = entry.FileName();
  msearch::testing::TempDir dir;
  std::filesystem::path output = dir / "out.jpg";
  auto kind = KindForExtension(entry.FullPath().extension().string());
  ASSERT_TRUE(kind.has_value());

  try {
    MakeThumbnail(entry.FullPath(), *kind, output);
    FAIL() << "thumbnail of " << name << " did not fail";
  } catch (const MediaError& error) {
    EXPECT_NE(std::string(error.what()).find(name), std::string::npos) << error.what();
  }
  EXPECT_TRUE(OtherFiles(dir.path(), "").empty());
}

INSTANTIATE_TEST_SUITE_P(Corpus, BrokenThumbnailTest,
                         ::testing::ValuesIn(testing::UnreadableBrokenEntries()),
                         testing::CorpusTestName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BrokenThumbnailTest);

class ThumbnailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MSEARCH_REQUIRE_SHARED_DIR(shared);
    corpus_ = shared / "corpus";
  }

  std::filesystem::path corpus_;
  msearch::testing::TempDir dir_;
};

TEST_F(ThumbnailTest, ExifOrientationSixIsLandscape) {
  std::filesystem::path output = dir_ / "o6.jpg";

  ASSERT_TRUE(MakeThumbnail(corpus_ / "images/exif_orientation_6.jpg", "image", output));

  vips::VImage thumbnail = ReadJpeg(output);
  EXPECT_EQ(thumbnail.width(), 320);
  EXPECT_EQ(thumbnail.height(), 240);
}

// All exif_orientation_N files show the same upright scene once their tag is
// applied, so their thumbnails must nearly match, and a wrongly rotated or
// mirrored one would not.
TEST_F(ThumbnailTest, AllOrientationsLookAlike) {
  ASSERT_TRUE(MakeThumbnail(corpus_ / "images/exif_orientation_2.jpg", "image", dir_ / "2.jpg"));
  vips::VImage reference = ReadJpeg(dir_ / "2.jpg");
  double mirrored_difference = (reference - reference.fliphor()).abs().avg();

  for (int orientation = 3; orientation <= 8; ++orientation) {
    std::string name = "exif_orientation_" + std::to_string(orientation) + ".jpg";
    std::filesystem::path output = dir_ / name;
    ASSERT_TRUE(MakeThumbnail(corpus_ / "images" / name, "image", output));
    vips::VImage thumbnail = ReadJpeg(output);
    ASSERT_EQ(thumbnail.width(), reference.width()) << name;
    ASSERT_EQ(thumbnail.height(), reference.height()) << name;
    double difference = (thumbnail - reference).abs().avg();
    EXPECT_LT(difference, mirrored_difference / 2) << name;
  }
}

TEST_F(ThumbnailTest, RotatedVideoIsPortrait) {
  for (const char* name : {"rotated_90.mp4", "rotated_270.mp4"}) {
    std::filesystem::path output = dir_ / (std::string(name) + ".jpg");

    ASSERT_TRUE(MakeThumbnail(corpus_ / "video" / name, "video", output));

    vips::VImage thumbnail = ReadJpeg(output);
    EXPECT_EQ(thumbnail.width(), 180) << name;
    EXPECT_EQ(thumbnail.height(), 320) << name;
  }
}

TEST_F(ThumbnailTest, SmallMaxSize) {
  std::filesystem::path output = dir_ / "small.jpg";

  ASSERT_TRUE(MakeThumbnail(corpus_ / "video/flower_h264_aac.mp4", "video", output, 64));

  vips::VImage thumbnail = ReadJpeg(output);
  EXPECT_EQ(thumbnail.width(), 64);
  EXPECT_EQ(thumbnail.height(), 36);
}

TEST_F(ThumbnailTest, InvalidMaxSize) {
  EXPECT_THROW(MakeThumbnail(corpus_ / "images/tiny_1x1.png", "image", dir_ / "x.jpg", 0),
               MediaError);
}

TEST_F(ThumbnailTest, AlphaFlattenedOntoWhite) {
  std::filesystem::path output = dir_ / "heart.jpg";

  ASSERT_TRUE(MakeThumbnail(corpus_ / "images/webp_lossless_alpha_heart.webp", "image", output));

  // The heart's corners are fully transparent.
  std::vector<double> corner = ReadJpeg(output).getpoint(1, 1);
  for (double value : corner) EXPECT_GT(value, 240);
}

TEST_F(ThumbnailTest, CmykConvertedToSrgb) {
  std::filesystem::path output = dir_ / "cmyk.jpg";

  ASSERT_TRUE(MakeThumbnail(corpus_ / "images/cmyk_butterfly.jpg", "image", output));

  vips::VImage thumbnail = ReadJpeg(output);
  EXPECT_EQ(thumbnail.interpretation(), VIPS_INTERPRETATION_sRGB);
  EXPECT_EQ(thumbnail.bands(), 3);
}

TEST_F(ThumbnailTest, AudioCoverArt) {
  std::filesystem::path output = dir_ / "cover.jpg";

  ASSERT_TRUE(MakeThumbnail(corpus_ / "audio/speech_librivox_id3v23_cover.mp3", "audio", output));

  vips::VImage thumbnail = ReadJpeg(output);
  EXPECT_EQ(thumbnail.width(), 300);
  EXPECT_EQ(thumbnail.height(), 300);
}

TEST_F(ThumbnailTest, AudioWithoutCoverArt) {
  for (const char* name : {"t_rex_roar_no_tags.mp3", "flac_vorbis_comments.flac",
                           "speech_opus_tagged.opus", "wav_24bit_48k_trumpet.wav"}) {
    std::filesystem::path output = dir_ / (std::string(name) + ".jpg");

    EXPECT_FALSE(MakeThumbnail(corpus_ / "audio" / name, "audio", output)) << name;

    EXPECT_FALSE(std::filesystem::exists(output)) << name;
  }
}

TEST_F(ThumbnailTest, ShortWavHasNoThumbnail) {
  std::filesystem::path output = dir_ / "wav.jpg";

  EXPECT_FALSE(MakeThumbnail(corpus_ / "broken/wav_header_longer_than_data.wav", "audio", output));

  EXPECT_FALSE(std::filesystem::exists(output));
}

TEST_F(ThumbnailTest, HugeImageTooLarge) {
  std::filesystem::path output = dir_ / "huge.jpg";

  try {
    MakeThumbnail(corpus_ / "images/huge_20000x20000_gray.png", "image", output);
    FAIL() << "thumbnail of a 400-megapixel PNG did not fail";
  } catch (const MediaError& error) {
    EXPECT_NE(std::string(error.what()).find("too large"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("huge_20000x20000_gray.png"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(output));
}

TEST_F(ThumbnailTest, HugeImageStreamsWhenAllowed) {
  std::filesystem::path output = dir_ / "huge.jpg";
  DecodeLimits limits;
  limits.max_image_pixels = 1'000'000'000;
  long rss_before = MaxRssKilobytes();

  ASSERT_TRUE(MakeThumbnail(corpus_ / "images/huge_20000x20000_gray.png", "image", output,
                            kDefaultThumbnailSize, limits));

  // A full decode would need 400 MB for the 8-bit grey pixels alone.
  long growth_kilobytes = MaxRssKilobytes() - rss_before;
  EXPECT_LT(growth_kilobytes, 256 * 1024);
  vips::VImage thumbnail = ReadJpeg(output);
  EXPECT_EQ(thumbnail.width(), 320);
  EXPECT_EQ(thumbnail.height(), 320);
}

TEST_F(ThumbnailTest, ReplacesExistingOutput) {
  std::filesystem::path output = dir_ / "out.jpg";
  ASSERT_TRUE(MakeThumbnail(corpus_ / "images/tiny_1x1.png", "image", output));

  ASSERT_TRUE(MakeThumbnail(corpus_ / "images/cat_chelsea_baseline.jpg", "image", output));

  EXPECT_EQ(ReadJpeg(output).width(), 320);
  EXPECT_TRUE(OtherFiles(dir_.path(), output).empty());
}

TEST_F(ThumbnailTest, ProbeAndThumbnailImage) {
  std::filesystem::path output = dir_ / "both.jpg";

  ProbeAndThumbnailResult result =
      ProbeAndThumbnail(corpus_ / "images/exif_orientation_8.jpg", "image", output);

  EXPECT_EQ(result.info.width, 600);
  EXPECT_EQ(result.info.height, 450);
  EXPECT_EQ(result.info.orientation, 8);
  EXPECT_TRUE(result.has_thumbnail);
  EXPECT_TRUE(result.thumbnail_error.empty());
  EXPECT_EQ(ReadJpeg(output).width(), 320);
}

TEST_F(ThumbnailTest, ProbeAndThumbnailHugeImage) {
  std::filesystem::path output = dir_ / "huge.jpg";

  ProbeAndThumbnailResult result =
      ProbeAndThumbnail(corpus_ / "images/huge_20000x20000_gray.png", "image", output);

  EXPECT_EQ(result.info.width, 20000);
  EXPECT_FALSE(result.has_thumbnail);
  EXPECT_NE(result.thumbnail_error.find("too large"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(output));
}

TEST_F(ThumbnailTest, ProbeAndThumbnailVideo) {
  std::filesystem::path output = dir_ / "video.jpg";

  ProbeAndThumbnailResult result =
      ProbeAndThumbnail(corpus_ / "video/rotated_90.mp4", "video", output);

  EXPECT_EQ(result.info.rotation, 90);
  EXPECT_TRUE(result.has_thumbnail);
  EXPECT_EQ(ReadJpeg(output).height(), 320);
}

TEST_F(ThumbnailTest, ProbeAndThumbnailAudioWithoutCover) {
  ProbeAndThumbnailResult result =
      ProbeAndThumbnail(corpus_ / "audio/t_rex_roar_no_tags.mp3", "audio", dir_ / "a.jpg");

  EXPECT_EQ(result.info.kind, "audio");
  EXPECT_FALSE(result.has_thumbnail);
  EXPECT_TRUE(result.thumbnail_error.empty());
}

TEST_F(ThumbnailTest, ProbeAndThumbnailCorruptImage) {
  EXPECT_THROW(ProbeAndThumbnail(corpus_ / "broken/truncated_cat.jpg", "image", dir_ / "c.jpg"),
               MediaError);
  EXPECT_THROW(ProbeAndThumbnail(corpus_ / "broken/bad_crc_idat.png", "image", dir_ / "c.jpg"),
               MediaError);
  EXPECT_TRUE(OtherFiles(dir_.path(), "").empty());
}

}  // namespace
}  // namespace msearch::media
