#include "media/audio_decode.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "media/corpus_manifest.h"
#include "media/ffmpeg_cli.h"
#include "media/media_error.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::media {
namespace {

using testing::CorpusEntry;

// The decoded length may differ from the container's by codec priming and
// padding, which the manifest's ffprobe figures include or not.
double DurationTolerance(double expected) { return std::max(0.1, 0.02 * expected); }

struct Collected {
  AudioDecodeResult result;
  std::vector<float> samples;
  size_t chunks = 0;
  size_t largest_chunk = 0;
};

Collected DecodeAll(const std::filesystem::path& path, const AudioDecodeOptions& options = {}) {
  Collected collected;
  collected.result = DecodeAudio(path, options, [&](std::span<const float> samples) {
    collected.samples.insert(collected.samples.end(), samples.begin(), samples.end());
    ++collected.chunks;
    collected.largest_chunk = std::max(collected.largest_chunk, samples.size());
    return true;
  });
  return collected;
}

double Rms(std::span<const float> samples) {
  double sum = 0;
  for (float sample : samples) sum += static_cast<double>(sample) * sample;
  return samples.empty() ? 0 : std::sqrt(sum / static_cast<double>(samples.size()));
}

// Estimates the frequency of a sine from its upward zero crossings.
double ZeroCrossingHz(std::span<const float> samples, int sample_rate) {
  int crossings = 0;
  for (size_t i = 1; i < samples.size(); ++i) {
    if (samples[i - 1] < 0 && samples[i] >= 0) ++crossings;
  }
  return crossings * static_cast<double>(sample_rate) / static_cast<double>(samples.size());
}

class AudioFileDecodeTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(AudioFileDecodeTest, MatchesManifestDuration) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const CorpusEntry& entry = GetParam();
  double expected = entry.expected.at("duration_s").get<double>();

  Collected collected = DecodeAll(entry.FullPath());

  EXPECT_EQ(collected.result.sample_rate, 48000);
  EXPECT_EQ(collected.result.codec, entry.expected.at("codec").get<std::string>());
  EXPECT_EQ(collected.result.source_sample_rate, entry.expected.at("sample_rate").get<int>());
  EXPECT_EQ(collected.result.source_channels, entry.expected.at("channels").get<int>());
  EXPECT_NEAR(collected.result.duration_seconds, expected, DurationTolerance(expected));
  EXPECT_EQ(collected.result.sample_count, static_cast<int64_t>(collected.samples.size()));
  EXPECT_DOUBLE_EQ(collected.result.duration_seconds,
                   static_cast<double>(collected.samples.size()) / 48000.0);
  EXPECT_EQ(collected.result.corrupt_packets, 0);
  EXPECT_FALSE(collected.result.stopped_early);
  EXPECT_GT(Rms(collected.samples), 0.001) << "decoded audio is silent";
}

INSTANTIATE_TEST_SUITE_P(Corpus, AudioFileDecodeTest,
                         ::testing::ValuesIn(testing::CorpusEntriesOfKind({"audio"})),
                         testing::CorpusTestName());
// Without the shared corpus there is nothing to instantiate.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(AudioFileDecodeTest);

std::vector<CorpusEntry> VideosWithAudio(bool has_audio) {
  std::vector<CorpusEntry> selected;
  for (const auto& entry : testing::CorpusEntriesOfKind({"video"})) {
    if (entry.expected.value("has_audio", false) == has_audio) selected.push_back(entry);
  }
  return selected;
}

class VideoAudioDecodeTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(VideoAudioDecodeTest, DecodesFirstAudioStream) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const CorpusEntry& entry = GetParam();
  const nlohmann::json& stream = entry.expected.at("audio_streams").at(0);

  Collected collected = DecodeAll(entry.FullPath());

  EXPECT_EQ(collected.result.codec, stream.at("codec").get<std::string>());
  EXPECT_EQ(collected.result.source_sample_rate, stream.at("sample_rate").get<int>());
  EXPECT_EQ(collected.result.source_channels, stream.at("channels").get<int>());
  EXPECT_EQ(collected.result.sample_rate, 48000);
  EXPECT_EQ(collected.result.sample_count, static_cast<int64_t>(collected.samples.size()));
  if (stream.contains("duration_s")) {
    double expected = stream.at("duration_s").get<double>();
    EXPECT_NEAR(collected.result.duration_seconds, expected, DurationTolerance(expected));
  } else {
    // Matroska stores no stream duration. Its English track is 3 s of
    // speech in a 5 s file, so only the bound is known.
    double file_duration = entry.expected.at("duration_s").get<double>();
    EXPECT_GT(collected.result.duration_seconds, 1.0);
    EXPECT_LE(collected.result.duration_seconds, file_duration + 0.1);
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, VideoAudioDecodeTest, ::testing::ValuesIn(VideosWithAudio(true)),
                         testing::CorpusTestName());
// Without the shared corpus there is nothing to instantiate.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(VideoAudioDecodeTest);

class SilentVideoDecodeTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(SilentVideoDecodeTest, ThrowsNoAudioStream) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const CorpusEntry& entry = GetParam();
  try {
    DecodeAll(entry.FullPath());
    FAIL() << "expected a MediaError";
  } catch (const MediaError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find(entry.FileName()), std::string::npos) << message;
    EXPECT_NE(message.find("no audio stream"), std::string::npos) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, SilentVideoDecodeTest, ::testing::ValuesIn(VideosWithAudio(false)),
                         testing::CorpusTestName());
// Without the shared corpus there is nothing to instantiate.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SilentVideoDecodeTest);

class BrokenAudioDecodeTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(BrokenAudioDecodeTest, ThrowsMediaErrorNamingFile) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const CorpusEntry& entry = GetParam();
  size_t delivered = 0;
  try {
    DecodeAudio(entry.FullPath(), {}, [&](std::span<const float> samples) {
      delivered += samples.size();
      return true;
    });
    FAIL() << "expected a MediaError";
  } catch (const MediaError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find(entry.FileName()), std::string::npos) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, BrokenAudioDecodeTest,
                         ::testing::ValuesIn(testing::UnreadableBrokenEntries()),
                         testing::CorpusTestName());
// Without the shared corpus there is nothing to instantiate.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BrokenAudioDecodeTest);

TEST(AudioDecode, Id3OnlyMp3IsNoAudio) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  std::filesystem::path path = shared / "corpus/broken/id3_tag_only.mp3";
  EXPECT_THROW(DecodeAll(path), MediaError);
}

TEST(AudioDecode, GarbagePayloadIsCorrupt) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  std::filesystem::path path = shared / "corpus/broken/garbage_payload.mp4";
  try {
    DecodeAll(path);
    FAIL() << "expected a MediaError";
  } catch (const MediaError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("garbage_payload.mp4"), std::string::npos) << message;
    EXPECT_NE(message.find("packets failed to decode"), std::string::npos) << message;
  }
}

TEST(AudioDecode, WavCutShortGivesPresentAudio) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  // The header claims 1.31 s; ffprobe measures 0.656 s of samples present.
  Collected collected = DecodeAll(shared / "corpus/broken/wav_header_longer_than_data.wav");
  EXPECT_NEAR(collected.result.duration_seconds, 0.656, 0.02);
}

TEST(AudioDecode, LongFileStreamsInSmallChunks) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  Collected collected = DecodeAll(shared / "corpus/audio/long_2m30_synth_music.mp3");
  EXPECT_NEAR(collected.result.duration_seconds, 150.073, 0.1);
  EXPECT_GT(collected.chunks, 1000u);
  // One MP3 frame (1152 samples at 22050 Hz) resampled to 48 kHz.
  EXPECT_LE(collected.largest_chunk, 4096u);
}

TEST(AudioDecode, OtherSampleRate) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  AudioDecodeOptions options;
  options.sample_rate = 16000;
  Collected collected = DecodeAll(shared / "corpus/audio/speech_en_espeak.wav", options);
  EXPECT_EQ(collected.result.sample_rate, 16000);
  EXPECT_NEAR(collected.result.duration_seconds, 8.231, 0.02);
  EXPECT_NEAR(static_cast<double>(collected.samples.size()), 8.231 * 16000, 0.02 * 16000);
}

TEST(AudioDecode, MaxSecondsStopsExactly) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  AudioDecodeOptions options;
  options.max_seconds = 5;
  Collected collected = DecodeAll(shared / "corpus/audio/long_2m30_synth_music.mp3", options);
  EXPECT_EQ(collected.result.sample_count, 5 * 48000);
  EXPECT_EQ(collected.samples.size(), 5u * 48000u);
  EXPECT_TRUE(collected.result.stopped_early);
}

TEST(AudioDecode, SinkStopsEarly) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  int calls = 0;
  AudioDecodeResult result = DecodeAudio(shared / "corpus/audio/long_2m30_synth_music.mp3", {},
                                         [&](std::span<const float>) { return ++calls < 3; });
  EXPECT_EQ(calls, 3);
  EXPECT_TRUE(result.stopped_early);
  EXPECT_LT(result.duration_seconds, 1.0);
}

TEST(AudioDecode, SinkExceptionPropagates) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  EXPECT_THROW(
      DecodeAudio(shared / "corpus/audio/speech_en_espeak.wav", {},
                  [](std::span<const float>) -> bool { throw std::runtime_error("stop"); }),
      std::runtime_error);
}

TEST(AudioDecode, ResamplesAndAveragesChannels) {
  msearch::testing::TempDir dir;
  std::filesystem::path both = dir / "both.wav";
  std::filesystem::path left_only = dir / "left_only.wav";
  ASSERT_TRUE(
      testing::WriteSynthesizedWav(both, "0.5*sin(2*PI*1000*t)", "0.5*sin(2*PI*1000*t)", 2));
  ASSERT_TRUE(testing::WriteSynthesizedWav(left_only, "0.5*sin(2*PI*1000*t)", "0", 2));

  Collected same = DecodeAll(both);
  EXPECT_EQ(same.result.source_channels, 2);
  EXPECT_EQ(same.result.source_sample_rate, 44100);
  EXPECT_EQ(same.samples.size(), 96000u);
  // A sine of peak 0.5 has an RMS of 0.5 / sqrt(2).
  EXPECT_NEAR(Rms(same.samples), 0.3536, 0.01);
  EXPECT_NEAR(ZeroCrossingHz(same.samples, 48000), 1000, 5);

  Collected half = DecodeAll(left_only);
  EXPECT_NEAR(Rms(half.samples), 0.1768, 0.01);
}

TEST(AudioDecode, SkipsCorruptPackets) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir dir;
  std::filesystem::path damaged = dir / "damaged.mp3";
  std::filesystem::copy_file(shared / "corpus/audio/long_2m30_synth_music.mp3", damaged);
  {
    // Overwrites 4 KB in the middle with a byte pattern that is no MP3 frame.
    std::fstream file(damaged, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(std::filesystem::file_size(damaged) / 2));
    for (int i = 0; i < 4096; ++i) file.put(static_cast<char>((i * 37 + 11) & 0xff));
  }

  Collected collected = DecodeAll(damaged);
  EXPECT_NEAR(collected.result.duration_seconds, 150.07, 2.0);
  EXPECT_GT(collected.result.duration_seconds, 140);
  EXPECT_GE(collected.result.corrupt_packets, 1);
}

TEST(AudioDecode, MissingFileThrows) {
  msearch::testing::TempDir dir;
  EXPECT_THROW(DecodeAll(dir / "missing.wav"), MediaError);
}

TEST(AudioDecode, InvalidOptionsThrow) {
  msearch::testing::TempDir dir;
  AudioDecodeOptions options;
  options.sample_rate = 0;
  EXPECT_THROW(DecodeAll(dir / "any.wav", options), msearch::Error);
  options = {};
  options.max_seconds = -1;
  EXPECT_THROW(DecodeAll(dir / "any.wav", options), msearch::Error);
}

}  // namespace
}  // namespace msearch::media
