#include <cctype>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "media/corpus_manifest.h"
#include "media/media_kind.h"
#include "media/probe.h"
#include "support/shared_data.h"

namespace msearch::media {
namespace {

using testing::CorpusEntry;

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Images, plus the broken-folder files that are valid images under a wrong
// extension (the manifest gives their format).
std::vector<CorpusEntry> ImageEntries() {
  std::vector<CorpusEntry> entries;
  for (const auto& entry : testing::CorpusEntriesOfKind({"image", "broken"})) {
    if (entry.expected.contains("format")) entries.push_back(entry);
  }
  return entries;
}

class ImageProbeTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(ImageProbeTest, MatchesManifest) {
  const CorpusEntry& entry = GetParam();
  const nlohmann::json& expected = entry.expected;
  auto kind = KindForExtension(entry.FullPath().extension().string());
  ASSERT_EQ(kind, "image");

  store::MediaInfo info = ProbeFile(entry.FullPath(), *kind);

  EXPECT_EQ(info.kind, "image");
  EXPECT_EQ(info.format, Lower(expected.at("format").get<std::string>()));
  EXPECT_EQ(info.width, expected.at("width").get<int>());
  EXPECT_EQ(info.height, expected.at("height").get<int>());
  EXPECT_EQ(info.stored_width, expected.at("stored_width").get<int>());
  EXPECT_EQ(info.stored_height, expected.at("stored_height").get<int>());
  EXPECT_EQ(info.has_alpha, expected.at("has_alpha").get<bool>());
  EXPECT_EQ(info.frame_count, expected.at("frame_count").get<int>());

  std::optional<int> expected_orientation;
  if (expected.contains("orientation") && expected["orientation"].is_number_integer()) {
    expected_orientation = expected["orientation"].get<int>();
  }
  EXPECT_EQ(info.orientation, expected_orientation);

  // The manifest uses exiftool's tag names, and the probe snake_case keys.
  const std::pair<const char*, const char*> kExifKeys[] = {
      {"Make", "make"},
      {"Model", "model"},
      {"DateTimeOriginal", "datetime_original"},
      {"Software", "software"},
  };
  if (expected.contains("exif")) {
    for (const auto& [manifest_key, probe_key] : kExifKeys) {
      if (!expected["exif"].contains(manifest_key)) continue;
      ASSERT_TRUE(info.exif.contains(probe_key)) << probe_key;
      EXPECT_EQ(info.exif[probe_key], expected["exif"][manifest_key]) << probe_key;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, ImageProbeTest, ::testing::ValuesIn(ImageEntries()),
                         testing::CorpusTestName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ImageProbeTest);

TEST(CorpusManifest, ListsEveryFolder) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);

  // The table-driven tests cover nothing if the manifest fails to load.
  EXPECT_GE(testing::CorpusEntriesOfKind({"image"}).size(), 30u);
  EXPECT_GE(testing::CorpusEntriesOfKind({"video"}).size(), 16u);
  EXPECT_GE(testing::CorpusEntriesOfKind({"audio"}).size(), 14u);
  EXPECT_EQ(testing::CorpusEntriesOfKind({"broken"}).size(), 9u);
  EXPECT_EQ(testing::UnreadableBrokenEntries().size(), 7u);
}

TEST(ImageProbe, ExifCameraFields) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const std::filesystem::path dir = shared / "corpus";

  store::MediaInfo info = ProbeFile(dir / "images/exif_camera_canon_40d.jpg", "image");

  EXPECT_EQ(info.exif.value("make", ""), "Canon");
  EXPECT_EQ(info.exif.value("model", ""), "Canon EOS 40D");
  EXPECT_EQ(info.exif.value("datetime", ""), "2008:07:31 10:38:11");
  EXPECT_DOUBLE_EQ(info.exif.value("exposure_time", 0.0), 1.0 / 160);
  EXPECT_DOUBLE_EQ(info.exif.value("f_number", 0.0), 7.1);
  EXPECT_EQ(info.exif.value("iso", 0), 100);
  EXPECT_EQ(info.exif.value("focal_length", 0), 135);
}

TEST(ImageProbe, NoExifGivesEmptyObject) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const std::filesystem::path dir = shared / "corpus";

  store::MediaInfo info = ProbeFile(dir / "images/tiny_1x1.png", "image");

  EXPECT_TRUE(info.exif.is_object());
  EXPECT_TRUE(info.exif.empty());
}

TEST(ImageProbe, HugeImageProbesHeader) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const std::filesystem::path dir = shared / "corpus";

  // 400 megapixels: over the default limit, so only the header is read.
  store::MediaInfo info = ProbeFile(dir / "images/huge_20000x20000_gray.png", "image");

  EXPECT_EQ(info.width, 20000);
  EXPECT_EQ(info.height, 20000);
}

}  // namespace
}  // namespace msearch::media
