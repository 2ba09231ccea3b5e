#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "media/corpus_manifest.h"
#include "media/media_kind.h"
#include "media/probe.h"
#include "support/shared_data.h"

namespace msearch::media {
namespace {

using testing::CorpusEntry;

constexpr double kDurationTolerance = 0.1;

// Streams of one type from the probe's stream list, in file order.
std::vector<nlohmann::json> StreamsOfType(const store::MediaInfo& info, const std::string& type) {
  std::vector<nlohmann::json> streams;
  for (const auto& stream : info.streams) {
    if (stream.value("type", "") == type && !stream.value("attached_pic", false)) {
      streams.push_back(stream);
    }
  }
  return streams;
}

// Every tag the manifest lists must be present with the same value. The
// manifest's "tags" are ffprobe's raw values and "expected_tags" a
// normalised form, so either is accepted.
void ExpectTags(const store::MediaInfo& info, const nlohmann::json& expected) {
  if (!expected.contains("tags")) return;
  for (const auto& [key, value] : expected["tags"].items()) {
    auto found = info.tags.find(key);
    ASSERT_NE(found, info.tags.end()) << "missing tag " << key;
    bool matches_raw = found->second == value.get<std::string>();
    bool matches_normalised = expected.contains("expected_tags") &&
                              expected["expected_tags"].value(key, "") == found->second;
    EXPECT_TRUE(matches_raw || matches_normalised) << key << " = " << found->second;
  }
}

store::MediaInfo ProbeEntry(const CorpusEntry& entry) {
  auto kind = KindForExtension(entry.FullPath().extension().string());
  EXPECT_EQ(kind, entry.kind);
  return ProbeFile(entry.FullPath(), kind.value_or(entry.kind));
}

class VideoProbeTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(VideoProbeTest, MatchesManifest) {
  const CorpusEntry& entry = GetParam();
  const nlohmann::json& expected = entry.expected;

  store::MediaInfo info = ProbeEntry(entry);

  EXPECT_EQ(info.kind, "video");
  EXPECT_TRUE(info.has_video);
  EXPECT_EQ(info.format, expected.at("container").get<std::string>());
  EXPECT_NEAR(info.duration, expected.at("duration_s").get<double>(), kDurationTolerance);
  EXPECT_EQ(info.width, expected.at("width").get<int>());
  EXPECT_EQ(info.height, expected.at("height").get<int>());
  EXPECT_EQ(info.stored_width, expected.at("coded_width").get<int>());
  EXPECT_EQ(info.stored_height, expected.at("coded_height").get<int>());
  EXPECT_EQ(info.rotation, expected.at("rotation_clockwise_deg").get<int>());
  EXPECT_NEAR(info.fps, expected.at("fps").get<double>(), 0.01);
  EXPECT_EQ(info.video_codec, expected.at("video_codec").get<std::string>());
  EXPECT_NEAR(static_cast<double>(info.bit_rate), expected.at("bit_rate").get<double>(),
              expected.at("bit_rate").get<double>() * 0.01);
  EXPECT_EQ(info.has_audio, expected.at("has_audio").get<bool>());

  nlohmann::json audio = expected.value("audio_streams", nlohmann::json::array());
  nlohmann::json subtitles = expected.value("subtitle_streams", nlohmann::json::array());
  EXPECT_EQ(info.audio_streams, static_cast<int>(audio.size()));
  EXPECT_EQ(info.subtitle_streams, static_cast<int>(subtitles.size()));

  std::vector<nlohmann::json> audio_found = StreamsOfType(info, "audio");
  ASSERT_EQ(audio_found.size(), audio.size());
  for (size_t i = 0; i < audio.size(); ++i) {
    EXPECT_EQ(audio_found[i]["codec"], audio[i]["codec"]) << "audio stream " << i;
    EXPECT_EQ(audio_found[i]["sample_rate"], audio[i]["sample_rate"]) << "audio stream " << i;
    EXPECT_EQ(audio_found[i]["channels"], audio[i]["channels"]) << "audio stream " << i;
    if (audio[i].contains("language")) {
      EXPECT_EQ(audio_found[i].value("language", ""), audio[i]["language"]) << "stream " << i;
    }
    if (audio[i].contains("title")) {
      EXPECT_EQ(audio_found[i].value("title", ""), audio[i]["title"]) << "stream " << i;
    }
  }
  std::vector<nlohmann::json> subtitles_found = StreamsOfType(info, "subtitle");
  ASSERT_EQ(subtitles_found.size(), subtitles.size());
  for (size_t i = 0; i < subtitles.size(); ++i) {
    EXPECT_EQ(subtitles_found[i]["codec"], subtitles[i]["codec"]) << "subtitle stream " << i;
    EXPECT_EQ(subtitles_found[i].value("language", ""), subtitles[i].value("language", ""));
  }
  if (!audio.empty()) {
    EXPECT_EQ(info.audio_codec, audio[0]["codec"].get<std::string>());
  }
  ExpectTags(info, expected);
}

INSTANTIATE_TEST_SUITE_P(Corpus, VideoProbeTest,
                         ::testing::ValuesIn(testing::CorpusEntriesOfKind({"video"})),
                         testing::CorpusTestName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(VideoProbeTest);

class AudioProbeTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(AudioProbeTest, MatchesManifest) {
  const CorpusEntry& entry = GetParam();
  const nlohmann::json& expected = entry.expected;

  store::MediaInfo info = ProbeEntry(entry);

  EXPECT_EQ(info.kind, "audio");
  EXPECT_FALSE(info.has_video);
  EXPECT_TRUE(info.has_audio);
  EXPECT_EQ(info.audio_streams, 1);
  EXPECT_EQ(info.format, expected.at("container").get<std::string>());
  EXPECT_NEAR(info.duration, expected.at("duration_s").get<double>(), kDurationTolerance);
  EXPECT_EQ(info.audio_codec, expected.at("codec").get<std::string>());
  EXPECT_EQ(info.sample_rate, expected.at("sample_rate").get<int>());
  EXPECT_EQ(info.channels, expected.at("channels").get<int>());
  if (expected.contains("bits_per_sample")) {
    EXPECT_EQ(info.bits_per_sample, expected["bits_per_sample"].get<int>());
  }
  EXPECT_NEAR(static_cast<double>(info.bit_rate), expected.at("bit_rate").get<double>(),
              expected.at("bit_rate").get<double>() * 0.01);

  bool has_cover = false;
  for (const auto& stream : info.streams) has_cover |= stream.value("attached_pic", false);
  EXPECT_EQ(has_cover, expected.at("has_cover_art").get<bool>());
  ExpectTags(info, expected);
}

INSTANTIATE_TEST_SUITE_P(Corpus, AudioProbeTest,
                         ::testing::ValuesIn(testing::CorpusEntriesOfKind({"audio"})),
                         testing::CorpusTestName());
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(AudioProbeTest);

TEST(AvProbe, AudioOnlyMp4IsAudio) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const std::filesystem::path dir = shared / "corpus";

  // The kind follows the streams, so an audio-only file routed as video
  // still comes out as audio.
  store::MediaInfo info = ProbeFile(dir / "audio/xylophone_aac.m4a", "video");

  EXPECT_EQ(info.kind, "audio");
  EXPECT_FALSE(info.has_video);
}

TEST(AvProbe, OggTagsComeFromStream) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const std::filesystem::path dir = shared / "corpus";

  store::MediaInfo info = ProbeFile(dir / "audio/speech_vorbis_tagged.ogg", "audio");

  EXPECT_EQ(info.tags["title"], "He was not an ill disposed young man");
  EXPECT_EQ(info.tags["artist"], "Jane Austen");
}

}  // namespace
}  // namespace msearch::media
