#include "media/audio_window.h"

#include <cmath>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "media/audio_window_file.h"
#include "support/shared_data.h"

namespace msearch::media {
namespace {

// A low rate keeps sample arithmetic readable: 100 samples per second.
constexpr int kRate = 100;

struct Recorded {
  double start = 0;
  double end = 0;
  bool padded = false;
  std::vector<float> samples;
};

// Feeds `seconds` of samples whose values are their own index, in chunks
// of `chunk` samples, and records every window.
std::vector<Recorded> WindowSamples(double seconds, const AudioWindowOptions& options,
                                    size_t chunk = 37) {
  std::vector<Recorded> windows;
  AudioWindower windower(kRate, options, [&](const AudioWindow& window) {
    EXPECT_EQ(window.index, static_cast<int>(windows.size()));
    windows.push_back({window.start_seconds, window.end_seconds, window.padded,
                       std::vector<float>(window.samples.begin(), window.samples.end())});
  });
  std::vector<float> samples(static_cast<size_t>(std::llround(seconds * kRate)));
  std::iota(samples.begin(), samples.end(), 0.0f);
  for (size_t i = 0; i < samples.size(); i += chunk) {
    windower.Add(std::span<const float>(samples).subspan(i, std::min(chunk, samples.size() - i)));
  }
  int count = windower.Finish();
  EXPECT_EQ(count, static_cast<int>(windows.size()));
  EXPECT_EQ(windower.Finish(), count) << "a second Finish must not emit again";
  return windows;
}

TEST(AudioWindow, PadsLastWindow) {
  std::vector<Recorded> windows = WindowSamples(25, {});
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_DOUBLE_EQ(windows[0].start, 0);
  EXPECT_DOUBLE_EQ(windows[0].end, 10);
  EXPECT_DOUBLE_EQ(windows[1].start, 10);
  EXPECT_DOUBLE_EQ(windows[1].end, 20);
  EXPECT_DOUBLE_EQ(windows[2].start, 20);
  EXPECT_DOUBLE_EQ(windows[2].end, 25);
  EXPECT_FALSE(windows[1].padded);
  EXPECT_TRUE(windows[2].padded);

  ASSERT_EQ(windows[1].samples.size(), 1000u);
  EXPECT_EQ(windows[1].samples.front(), 1000.0f);
  EXPECT_EQ(windows[1].samples.back(), 1999.0f);
  ASSERT_EQ(windows[2].samples.size(), 1000u);
  EXPECT_EQ(windows[2].samples[0], 2000.0f);
  EXPECT_EQ(windows[2].samples[499], 2499.0f);
  EXPECT_EQ(windows[2].samples[500], 0.0f);
  EXPECT_EQ(windows[2].samples[999], 0.0f);
}

TEST(AudioWindow, ShorterLastWindow) {
  AudioWindowOptions options;
  options.last_window_fill = LastWindowFill::kShorter;
  std::vector<Recorded> windows = WindowSamples(25, options);
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_FALSE(windows[2].padded);
  ASSERT_EQ(windows[2].samples.size(), 500u);
  EXPECT_EQ(windows[2].samples.back(), 2499.0f);
}

TEST(AudioWindow, DropsTinyTail) {
  std::vector<Recorded> windows = WindowSamples(20.5, {});
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_DOUBLE_EQ(windows[1].end, 20);
}

TEST(AudioWindow, ShortAudioHasNoWindows) {
  EXPECT_TRUE(WindowSamples(2.99, {}).empty());
  EXPECT_TRUE(WindowSamples(0, {}).empty());
}

TEST(AudioWindow, MinimumAudioGivesOneWindow) {
  std::vector<Recorded> windows = WindowSamples(3, {});
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_DOUBLE_EQ(windows[0].start, 0);
  EXPECT_DOUBLE_EQ(windows[0].end, 3);
  EXPECT_TRUE(windows[0].padded);
  EXPECT_EQ(windows[0].samples.size(), 1000u);
}

TEST(AudioWindow, OverlappingHop) {
  AudioWindowOptions options;
  options.hop_seconds = 5;
  std::vector<Recorded> windows = WindowSamples(23, options);
  ASSERT_EQ(windows.size(), 4u);
  EXPECT_DOUBLE_EQ(windows[1].start, 5);
  EXPECT_DOUBLE_EQ(windows[1].end, 15);
  EXPECT_EQ(windows[1].samples.front(), 500.0f);
  EXPECT_DOUBLE_EQ(windows[3].start, 15);
  EXPECT_DOUBLE_EQ(windows[3].end, 23);
  EXPECT_EQ(windows[3].samples.front(), 1500.0f);

  // At 20 s the window starting at 15 adds no audio beyond the one at 10.
  EXPECT_EQ(WindowSamples(20, options).size(), 3u);
}

TEST(AudioWindow, HopLongerThanWindowSkipsGaps) {
  AudioWindowOptions options;
  options.hop_seconds = 15;
  std::vector<Recorded> windows = WindowSamples(40, options);
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_DOUBLE_EQ(windows[1].start, 15);
  EXPECT_EQ(windows[1].samples.front(), 1500.0f);
  EXPECT_EQ(windows[2].samples.front(), 3000.0f);
  EXPECT_EQ(windows[2].samples.back(), 3999.0f);
}

TEST(AudioWindow, ChunkSizeDoesNotMatter) {
  AudioWindowOptions options;
  options.hop_seconds = 7;
  for (size_t chunk : {1u, 999u, 1000u, 1001u, 100000u}) {
    std::vector<Recorded> windows = WindowSamples(38.5, options, chunk);
    std::vector<AudioWindowSpan> plan = PlanAudioWindows(3850, kRate, options);
    ASSERT_EQ(windows.size(), plan.size()) << "chunk " << chunk;
    for (size_t i = 0; i < plan.size(); ++i) {
      EXPECT_DOUBLE_EQ(windows[i].start, plan[i].start_seconds) << "chunk " << chunk;
      EXPECT_DOUBLE_EQ(windows[i].end, plan[i].end_seconds) << "chunk " << chunk;
      EXPECT_EQ(windows[i].padded, plan[i].padded) << "chunk " << chunk;
      EXPECT_EQ(windows[i].samples.front(), static_cast<float>(plan[i].start_seconds * kRate));
    }
  }
}

TEST(AudioWindow, InvalidOptionsThrow) {
  auto make = [](AudioWindowOptions options) {
    AudioWindower windower(kRate, options, [](const AudioWindow&) {});
  };
  AudioWindowOptions options;
  options.window_seconds = 0;
  EXPECT_THROW(make(options), msearch::Error);
  options = {};
  options.hop_seconds = -1;
  EXPECT_THROW(make(options), msearch::Error);
  options = {};
  options.min_audio_seconds = 11;
  EXPECT_THROW(make(options), msearch::Error);
  options = {};
  options.min_last_window_seconds = -0.5;
  EXPECT_THROW(make(options), msearch::Error);
  EXPECT_THROW(AudioWindower(0, {}, [](const AudioWindow&) {}), msearch::Error);
}

struct FileWindows {
  AudioWindowsResult result;
  std::vector<AudioWindowSpan> spans;
  size_t max_samples = 0;
};

FileWindows WindowsOf(const std::filesystem::path& path, const AudioWindowOptions& options = {}) {
  FileWindows file;
  file.result = DecodeAudioWindows(path, {}, options, [&](const AudioWindow& window) {
    file.spans.push_back({window.start_seconds, window.end_seconds, window.padded});
    file.max_samples = std::max(file.max_samples, window.samples.size());
  });
  return file;
}

TEST(AudioWindowFile, LongFileHasFifteenWindows) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  FileWindows file = WindowsOf(shared / "corpus/audio/long_2m30_synth_music.mp3");
  // 150.07 s: fifteen full windows. The 0.07 s left is under the 1 s
  // minimum for a last window.
  ASSERT_EQ(file.result.window_count, 15);
  ASSERT_EQ(file.spans.size(), 15u);
  for (size_t i = 0; i < file.spans.size(); ++i) {
    EXPECT_NEAR(file.spans[i].start_seconds, 10.0 * static_cast<double>(i), 1e-9);
    EXPECT_NEAR(file.spans[i].end_seconds, 10.0 * static_cast<double>(i) + 10, 1e-9);
    EXPECT_FALSE(file.spans[i].padded);
  }
  EXPECT_EQ(file.max_samples, 480000u);
}

TEST(AudioWindowFile, OverlappingWindowsOfLongFile) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  AudioWindowOptions options;
  options.hop_seconds = 5;
  FileWindows file = WindowsOf(shared / "corpus/audio/long_2m30_synth_music.mp3", options);
  // Starts 0, 5, ... 140: the window at 145 would add only 0.07 s.
  ASSERT_EQ(file.spans.size(), 29u);
  EXPECT_NEAR(file.spans.back().start_seconds, 140, 1e-9);
}

TEST(AudioWindowFile, ShortFileHasNoWindows) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  for (const char* name : {"audio/short_front_center.wav", "audio/t_rex_roar_no_tags.mp3",
                           "audio/speech_goforward_8k_mono.wav"}) {
    FileWindows file = WindowsOf(shared / "corpus" / name);
    EXPECT_EQ(file.result.window_count, 0) << name;
    EXPECT_TRUE(file.spans.empty()) << name;
    EXPECT_GT(file.result.decode.duration_seconds, 1.0) << name;
  }
}

TEST(AudioWindowFile, MidLengthFileHasOnePaddedWindow) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  FileWindows file = WindowsOf(shared / "corpus/audio/music_sox_chords_16bit_44k_stereo.wav");
  ASSERT_EQ(file.spans.size(), 1u);
  EXPECT_DOUBLE_EQ(file.spans[0].start_seconds, 0);
  EXPECT_NEAR(file.spans[0].end_seconds, 6.0, 0.01);
  EXPECT_TRUE(file.spans[0].padded);
  EXPECT_EQ(file.max_samples, 480000u);
}

TEST(AudioWindowFile, VideoSoundTrack) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  FileWindows file = WindowsOf(shared / "corpus/video/long_3min_lowres.mp4");
  // 180 s of AAC audio: 18 windows.
  ASSERT_EQ(file.spans.size(), 18u);
  EXPECT_NEAR(file.spans.back().end_seconds, 180, 0.1);
}

}  // namespace
}  // namespace msearch::media
