#include <map>
#include <string>

#include <gtest/gtest.h>

#include "media/corpus_manifest.h"
#include "media/media_kind.h"
#include "media/probe.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::media {
namespace {

using testing::CorpusEntry;

// A phrase each broken file's error message must contain besides the file
// name, so a generic failure (say, a crash turned into "unknown error")
// does not pass.
const std::map<std::string, std::string> kExpectedErrorPhrase = {
    {"bad_crc_idat.png", "as PNG"},
    {"empty_zero_bytes.jpg", "empty"},
    {"garbage_payload.mp4", "video frame"},
    {"id3_tag_only.mp3", "Failed to read frame size"},
    {"text_renamed.png", "not a PNG file"},
    {"truncated_cat.jpg", "Premature end"},
    {"truncated_no_moov.mp4", "moov atom not found"},
};

class BrokenProbeTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(BrokenProbeTest, ReportsErrorNamingFile) {
  const CorpusEntry& entry = GetParam();
  std::string name = entry.FileName();
  auto phrase = kExpectedErrorPhrase.find(name);
  ASSERT_NE(phrase, kExpectedErrorPhrase.end()) << "no expectation for broken file " << name;
  auto kind = KindForExtension(entry.FullPath().extension().string());
  ASSERT_TRUE(kind.has_value());

  try {
    ProbeFile(entry.FullPath(), *kind);
    FAIL() << "probing " << name << " did not fail";
  } catch (const MediaError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find(name), std::string::npos) << message;
    EXPECT_NE(message.find(phrase->second), std::string::npos) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, BrokenProbeTest,
                         ::testing::ValuesIn(testing::UnreadableBrokenEntries()),
                         testing::CorpusTestName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BrokenProbeTest);

TEST(BrokenProbe, ShortWavReportsDataDuration) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const std::filesystem::path dir = shared / "corpus";
  std::filesystem::path path = dir / "broken/wav_header_longer_than_data.wav";

  store::MediaInfo info = ProbeFile(path, "audio");

  // The data is 16-bit mono at 48 kHz after a 44-byte header, which claims
  // twice as much.
  double data_seconds = static_cast<double>(std::filesystem::file_size(path) - 44) / (48000 * 2);
  EXPECT_EQ(info.sample_rate, 48000);
  EXPECT_EQ(info.channels, 1);
  EXPECT_NEAR(info.duration, data_seconds, 0.02);
}

TEST(BrokenProbe, MissingFile) {
  msearch::testing::TempDir dir;
  std::filesystem::path path = dir / "missing.jpg";

  try {
    ProbeFile(path, "image");
    FAIL() << "probing a missing file did not fail";
  } catch (const MediaError& error) {
    EXPECT_NE(std::string(error.what()).find("missing.jpg"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("not found"), std::string::npos);
  }
}

TEST(BrokenProbe, DirectoryIsNotAFile) {
  msearch::testing::TempDir dir;
  std::filesystem::create_directory(dir / "folder.mp4");

  EXPECT_THROW(ProbeFile(dir / "folder.mp4", "video"), MediaError);
}

TEST(BrokenProbe, UnknownKind) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const std::filesystem::path dir = shared / "corpus";

  EXPECT_THROW(ProbeFile(dir / "images/tiny_1x1.png", "document"), MediaError);
}

TEST(BrokenProbe, OtherFilesHaveNoKind) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  auto others = testing::CorpusEntriesOfKind({"other"});
  ASSERT_FALSE(others.empty());

  // Temporary renders, text and PDF files are never routed to a decoder.
  for (const auto& entry : others) {
    EXPECT_FALSE(KindForExtension(entry.FullPath().extension().string()).has_value()) << entry.path;
  }
}

}  // namespace
}  // namespace msearch::media
