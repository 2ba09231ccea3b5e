#include "media/audio_fingerprint.h"

#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "media/audio_fingerprint_codec.h"
#include "media/ffmpeg_cli.h"
#include "media/fingerprint_match.h"
#include "media/fingerprint_match_index.h"
#include "media/media_error.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::media {
namespace {

using testing::RunFfmpeg;

// The corpus music is one 6.4 s phrase (two 3.2 s arpeggios) repeated, so
// a clip of it matches equally well every 6.4 s.
constexpr double kLoopSeconds = 6.4;
constexpr double kOffsetTolerance = 0.5;

std::filesystem::path LongMusic(const std::filesystem::path& shared) {
  return shared / "corpus/audio/long_2m30_synth_music.mp3";
}

// A clip cut from a reference and re-encoded.
struct ClipCase {
  double start;
  double seconds;  // 0 runs to the end of the reference
  std::vector<std::string> codec;
  std::string extension;
};

std::vector<ClipCase> ClipCases() {
  return {
      {40, 15, {"-c:a", "libmp3lame", "-b:a", "128k"}, "mp3"},
      {100.3, 12, {"-c:a", "libopus", "-b:a", "32k"}, "opus"},
      {7.77, 20, {"-ar", "44100", "-ac", "2", "-c:a", "aac", "-b:a", "48k"}, "m4a"},
      {136.5, 0, {"-c:a", "pcm_s16le"}, "wav"},
  };
}

std::filesystem::path CutClip(const std::filesystem::path& reference, const ClipCase& clip,
                              const std::filesystem::path& dir) {
  std::filesystem::path output =
      dir / fmt::format("clip_{}_{}.{}", clip.start, clip.seconds, clip.extension);
  std::vector<std::string> arguments = {"-ss", fmt::format("{}", clip.start)};
  if (clip.seconds > 0) {
    arguments.push_back("-t");
    arguments.push_back(fmt::format("{}", clip.seconds));
  }
  arguments.push_back("-i");
  arguments.push_back(reference.string());
  arguments.insert(arguments.end(), clip.codec.begin(), clip.codec.end());
  arguments.push_back(output.string());
  EXPECT_TRUE(RunFfmpeg(arguments)) << "ffmpeg failed to cut " << output;
  return output;
}

// Distance between two offsets on the 6.4 s loop of the corpus music.
double LoopDistance(double a, double b) {
  double difference = std::fmod(std::abs(a - b), kLoopSeconds);
  return std::min(difference, kLoopSeconds - difference);
}

// The corpus music with a rising tone mixed in, so no two moments of it
// sound alike and every clip has one true offset.
std::filesystem::path UniqueReference(const std::filesystem::path& shared,
                                      const std::filesystem::path& dir) {
  std::filesystem::path output = dir / "music_with_chirp.wav";
  EXPECT_TRUE(RunFfmpeg({"-i", LongMusic(shared).string(), "-f", "lavfi", "-i",
                         "aevalsrc=0.25*sin(2*PI*(200*t+3*t*t)):s=22050:d=150.07",
                         "-filter_complex", "[0:a][1:a]amix=inputs=2:duration=first:normalize=0",
                         "-c:a", "pcm_s16le", output.string()}));
  return output;
}

TEST(AudioFingerprint, LongFileItems) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  FileFingerprint file = FingerprintAudioFile(LongMusic(shared));
  EXPECT_NEAR(file.fingerprint.item_seconds, 1365.0 / 11025.0, 1e-9);
  EXPECT_EQ(file.fingerprint.algorithm, kDefaultFingerprintAlgorithm);
  // 150.07 s less about 2.6 s that Chromaprint needs before its first item.
  EXPECT_GT(file.fingerprint.items.size(), 1150u);
  EXPECT_LT(file.fingerprint.items.size(), 1215u);
  EXPECT_NEAR(file.audio.duration_seconds, 150.073, 0.1);
  EXPECT_EQ(file.audio.sample_rate, 11025);
}

TEST(AudioFingerprint, MaxSecondsLimitsItems) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  FingerprintOptions options;
  options.max_seconds = 30;
  FileFingerprint file = FingerprintAudioFile(LongMusic(shared), options);
  EXPECT_NEAR(file.audio.duration_seconds, 30, 1e-6);
  EXPECT_LT(file.fingerprint.DurationSeconds(), 30);
  EXPECT_GT(file.fingerprint.DurationSeconds(), 26);
}

TEST(AudioFingerprint, VideoSoundTrack) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  FileFingerprint file = FingerprintAudioFile(shared / "corpus/video/scene_cuts_2_4_6.mp4");
  EXPECT_GT(file.fingerprint.items.size(), 30u);
  EXPECT_NEAR(file.audio.duration_seconds, 8.0, 0.1);
}

TEST(AudioFingerprint, SilentVideoThrows) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  EXPECT_THROW(FingerprintAudioFile(shared / "corpus/video/no_audio_h264.mp4"), MediaError);
}

TEST(AudioFingerprint, ShortFileHasFewItems) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  FileFingerprint file = FingerprintAudioFile(shared / "corpus/audio/t_rex_roar_no_tags.mp3");
  EXPECT_LT(file.fingerprint.items.size(), 5u);
  EXPECT_NEAR(file.audio.duration_seconds, 2.116, 0.05);
}

TEST(FingerprintMatch, FindsClipsInLoopedMusic) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir dir;
  AudioFingerprint reference = FingerprintAudioFile(LongMusic(shared)).fingerprint;

  for (const ClipCase& clip_case : ClipCases()) {
    SCOPED_TRACE(fmt::format("clip at {} s as {}", clip_case.start, clip_case.extension));
    AudioFingerprint clip =
        FingerprintAudioFile(CutClip(LongMusic(shared), clip_case, dir.path())).fingerprint;

    FingerprintMatch best = MatchFingerprint(clip, reference);
    EXPECT_TRUE(best.matched);
    EXPECT_LT(best.bit_error_rate, 0.1);
    EXPECT_LT(LoopDistance(best.offset_seconds, clip_case.start), kOffsetTolerance)
        << "best offset " << best.offset_seconds;

    // The loop repeats 23 times; all may qualify, in any order.
    std::vector<FingerprintMatch> occurrences =
        FindFingerprintOccurrences(clip, reference, {}, /*max_results=*/64);
    ASSERT_FALSE(occurrences.empty());
    bool found_true_offset = false;
    for (const FingerprintMatch& occurrence : occurrences) {
      EXPECT_TRUE(occurrence.matched);
      EXPECT_LT(LoopDistance(occurrence.offset_seconds, clip_case.start), kOffsetTolerance)
          << "occurrence at " << occurrence.offset_seconds;
      if (std::abs(occurrence.offset_seconds - clip_case.start) < kOffsetTolerance) {
        found_true_offset = true;
      }
    }
    EXPECT_TRUE(found_true_offset);
  }
}

TEST(FingerprintMatch, FindsExactOffsetInUniqueAudio) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir dir;
  std::filesystem::path reference_path = UniqueReference(shared, dir.path());
  AudioFingerprint reference = FingerprintAudioFile(reference_path).fingerprint;

  FingerprintIndex index;
  index.Add(7, reference);
  for (const char* name : {"audio/speech_en_espeak.wav", "audio/speech_librivox_id3v23_cover.mp3",
                           "audio/music_sox_chords_16bit_44k_stereo.wav"}) {
    index.Add(100, FingerprintAudioFile(shared / "corpus" / name).fingerprint);
  }

  for (const ClipCase& clip_case : ClipCases()) {
    SCOPED_TRACE(fmt::format("clip at {} s as {}", clip_case.start, clip_case.extension));
    AudioFingerprint clip =
        FingerprintAudioFile(CutClip(reference_path, clip_case, dir.path())).fingerprint;

    FingerprintMatch best = MatchFingerprint(clip, reference);
    EXPECT_TRUE(best.matched);
    EXPECT_NEAR(best.offset_seconds, clip_case.start, kOffsetTolerance);
    EXPECT_GT(best.score, 0.5);

    std::vector<IndexedMatch> found = index.Search(clip);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].id, 7);
    EXPECT_NEAR(found[0].match.offset_seconds, clip_case.start, kOffsetTolerance);
    EXPECT_DOUBLE_EQ(found[0].match.bit_error_rate, best.bit_error_rate);
  }
}

TEST(FingerprintMatch, UnrelatedAudioDoesNotMatch) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  AudioFingerprint reference = FingerprintAudioFile(LongMusic(shared)).fingerprint;
  FingerprintIndex index;
  index.Add(1, reference);
  for (const char* name :
       {"audio/speech_en_espeak.wav", "audio/speech_librivox_id3v23_cover.mp3",
        "audio/music_sox_chords_16bit_44k_stereo.wav", "audio/speech_zh_espeak.wav",
        "video/spoken_words_en.mp4", "video/scene_cuts_2_4_6.mp4"}) {
    SCOPED_TRACE(name);
    AudioFingerprint clip = FingerprintAudioFile(shared / "corpus" / name).fingerprint;
    FingerprintMatch best = MatchFingerprint(clip, reference);
    EXPECT_FALSE(best.matched) << "bit error rate " << best.bit_error_rate;
    EXPECT_TRUE(FindFingerprintOccurrences(clip, reference).empty());
    EXPECT_TRUE(index.Search(clip).empty());
  }
}

TEST(FingerprintMatch, ShortClipsNeverMatch) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir dir;
  AudioFingerprint reference = FingerprintAudioFile(LongMusic(shared)).fingerprint;
  for (double seconds : {1.0, 2.0, 4.0}) {
    SCOPED_TRACE(fmt::format("{} s clip", seconds));
    ClipCase clip_case{60, seconds, {"-c:a", "pcm_s16le"}, "wav"};
    AudioFingerprint clip =
        FingerprintAudioFile(CutClip(LongMusic(shared), clip_case, dir.path())).fingerprint;
    EXPECT_LT(clip.items.size(), 20u);
    FingerprintMatch best = MatchFingerprint(clip, reference);
    EXPECT_FALSE(best.matched);
    EXPECT_EQ(best.aligned_items, 0);
  }
}

TEST(FingerprintMatch, SilenceDoesNotMatchSilence) {
  msearch::testing::TempDir dir;
  std::filesystem::path silence = dir / "silence.wav";
  std::filesystem::path hum = dir / "hum.wav";
  ASSERT_TRUE(testing::WriteSynthesizedWav(silence, "0", "0", 30));
  ASSERT_TRUE(testing::WriteSynthesizedWav(hum, "0.3*sin(2*PI*50*t)", "0.3*sin(2*PI*50*t)", 30));
  for (const auto& path : {silence, hum}) {
    AudioFingerprint fingerprint = FingerprintAudioFile(path).fingerprint;
    AudioFingerprint clip = fingerprint;
    clip.items.resize(std::min<size_t>(clip.items.size(), 80));
    EXPECT_FALSE(IsMatchableClip(clip.items, {})) << path;
    EXPECT_FALSE(MatchFingerprint(clip, fingerprint).matched) << path;
  }
}

TEST(FingerprintMatch, ClipPastReferenceEnd) {
  // A clip whose last items run past the reference's end still matches on
  // the overlapping part.
  AudioFingerprint reference;
  reference.item_seconds = 0.125;
  for (uint32_t i = 0; i < 200; ++i) reference.items.push_back(i * 2654435761u);
  AudioFingerprint clip = reference;
  clip.items.assign(reference.items.begin() + 170, reference.items.end());
  for (uint32_t i = 0; i < 5; ++i) clip.items.push_back(i * 40503u + 7);

  FingerprintMatch best = MatchFingerprint(clip, reference);
  EXPECT_TRUE(best.matched);
  EXPECT_EQ(best.offset_items, 170);
  EXPECT_EQ(best.aligned_items, 30);
  EXPECT_DOUBLE_EQ(best.offset_seconds, 170 * 0.125);
  EXPECT_DOUBLE_EQ(best.bit_error_rate, 0.0);
  EXPECT_DOUBLE_EQ(best.score, 1.0);
}

TEST(FingerprintMatch, DifferentAlgorithmsThrow) {
  AudioFingerprint a;
  AudioFingerprint b;
  b.algorithm = 2;
  EXPECT_THROW(MatchFingerprint(a, b), msearch::Error);
  FingerprintIndex index;
  index.Add(1, a);
  EXPECT_THROW(index.Add(2, b), msearch::Error);
  EXPECT_THROW(index.Search(b), msearch::Error);
}

TEST(FingerprintMatch, InvalidOptionsThrow) {
  FingerprintMatchOptions options;
  options.max_bit_error_rate = 1.5;
  EXPECT_THROW(ValidateFingerprintMatchOptions(options), msearch::Error);
  options = {};
  options.min_overlap_fraction = 0;
  EXPECT_THROW(ValidateFingerprintMatchOptions(options), msearch::Error);
  FingerprintIndexOptions index_options;
  index_options.key_bits = 0;
  EXPECT_THROW(FingerprintIndex{index_options}, msearch::Error);
}

TEST(FingerprintCodec, RoundTrips) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  AudioFingerprint original = FingerprintAudioFile(LongMusic(shared)).fingerprint;

  std::string bytes = EncodeFingerprint(original);
  EXPECT_LT(bytes.size(), original.items.size() * 4);
  AudioFingerprint decoded = DecodeFingerprint(bytes);
  EXPECT_EQ(decoded.items, original.items);
  EXPECT_EQ(decoded.algorithm, original.algorithm);
  EXPECT_DOUBLE_EQ(decoded.item_seconds, original.item_seconds);

  std::string text = EncodeFingerprintBase64(original);
  EXPECT_EQ(
      text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  EXPECT_EQ(DecodeFingerprintBase64(text).items, original.items);
}

TEST(FingerprintCodec, EmptyRoundTrips) {
  AudioFingerprint empty;
  empty.item_seconds = FingerprintItemSeconds(kDefaultFingerprintAlgorithm);
  AudioFingerprint decoded = DecodeFingerprint(EncodeFingerprint(empty));
  EXPECT_TRUE(decoded.items.empty());
  EXPECT_EQ(decoded.algorithm, kDefaultFingerprintAlgorithm);
}

TEST(FingerprintCodec, CorruptInputThrows) {
  AudioFingerprint fingerprint;
  for (uint32_t i = 0; i < 500; ++i) fingerprint.items.push_back(i * 2654435761u);
  std::string bytes = EncodeFingerprint(fingerprint);

  EXPECT_THROW(DecodeFingerprint(""), msearch::Error);
  EXPECT_THROW(DecodeFingerprint("ab"), msearch::Error);
  EXPECT_THROW(DecodeFingerprint(bytes.substr(0, bytes.size() / 2)), msearch::Error);
  std::string huge_count = bytes;
  huge_count[1] = '\x7f';  // claims about 8 million items
  EXPECT_THROW(DecodeFingerprint(huge_count), msearch::Error);
  EXPECT_THROW(DecodeFingerprintBase64("not base64 at all!"), msearch::Error);
}

}  // namespace
}  // namespace msearch::media
