// Checks the CLAP log-mel feature extractor against the input_features that
// transformers 4.27.1 computed from the stored 48 kHz waveforms, and its
// building blocks (FFT, filter banks, windowing) on their own.

#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "golden_file.h"
#include "inference/audio_features.h"
#include "inference/audio_features_fft.h"
#include "inference/model_error.h"
#include "support/shared_data.h"

namespace msearch::inference {
namespace {

using testing::GoldenFile;
using testing::MaxAbsDiff;

// Fixture README: a double-precision FFT stays within 1e-4 dB.
constexpr double kFeatureToleranceDb = 1e-4;

TEST(RealFft, MatchesDirectDft) {
  constexpr int kSize = 64;
  std::mt19937 random(7);
  std::normal_distribution<double> normal;
  std::vector<double> input(kSize);
  for (double& value : input) value = normal(random);
  RealFft fft(kSize);
  std::vector<std::complex<double>> spectrum(kSize / 2 + 1);
  std::vector<std::complex<double>> scratch(kSize / 2);
  fft.Forward(input.data(), spectrum.data(), scratch.data());
  for (int k = 0; k <= kSize / 2; ++k) {
    std::complex<double> expected = 0;
    for (int n = 0; n < kSize; ++n) {
      expected += input[n] * std::polar(1.0, -2.0 * std::numbers::pi * k * n / kSize);
    }
    EXPECT_NEAR(spectrum[k].real(), expected.real(), 1e-12) << "bin " << k;
    EXPECT_NEAR(spectrum[k].imag(), expected.imag(), 1e-12) << "bin " << k;
  }
}

TEST(RealFft, RejectsSizeNotPowerOfTwo) {
  EXPECT_THROW(RealFft(1000), ModelError);
  EXPECT_THROW(RealFft(2), ModelError);
}

TEST(MelFilterBank, SlaneyAreaNormalised) {
  // Slaney normalisation scales each triangle to area 1 in Hz, so the sum of
  // a filter's weights times the bin spacing is close to 1 for wide filters.
  const std::vector<double> bank = MelFilterBank(513, 64, 50, 14000, 48000, MelScale::kSlaney);
  const double bin_hertz = 24000.0 / 512;
  for (int m : {40, 50, 63}) {
    double area = 0;
    for (int bin = 0; bin < 513; ++bin) area += bank[bin * 64 + m] * bin_hertz;
    EXPECT_NEAR(area, 1.0, 0.05) << "filter " << m;
  }
}

TEST(MelFilterBank, HtkPeaksBelowOne) {
  const std::vector<double> bank = MelFilterBank(513, 64, 50, 14000, 48000, MelScale::kHtk);
  for (int m = 0; m < 64; ++m) {
    double peak = 0;
    for (int bin = 0; bin < 513; ++bin) {
      ASSERT_GE(bank[bin * 64 + m], 0.0);
      peak = std::max(peak, bank[bin * 64 + m]);
    }
    EXPECT_LE(peak, 1.0) << "filter " << m;
  }
  // The high filters span several bins, so some bin lands near the apex.
  double top_peak = 0;
  for (int bin = 0; bin < 513; ++bin) top_peak = std::max(top_peak, bank[bin * 64 + 63]);
  EXPECT_GT(top_peak, 0.5);
}

TEST(SplitIntoWindows, ShortAudioIsOneWindow) {
  const std::vector<AudioWindow> windows = SplitIntoWindows(1000, 480000);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].begin_sample, 0);
  EXPECT_EQ(windows[0].end_sample, 1000);
}

TEST(SplitIntoWindows, ExactMultipleHasNoTail) {
  const std::vector<AudioWindow> windows = SplitIntoWindows(960000, 480000);
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_EQ(windows[1].begin_sample, 480000);
  EXPECT_EQ(windows[1].end_sample, 960000);
}

TEST(SplitIntoWindows, TailWindowEndsAtLastSample) {
  const std::vector<AudioWindow> windows = SplitIntoWindows(1200000, 480000);
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_EQ(windows[0].begin_sample, 0);
  EXPECT_EQ(windows[1].begin_sample, 480000);
  EXPECT_EQ(windows[2].begin_sample, 720000);
  EXPECT_EQ(windows[2].end_sample, 1200000);
}

TEST(SplitIntoWindows, EmptyAudioHasNoWindow) { EXPECT_TRUE(SplitIntoWindows(0, 480000).empty()); }

TEST(AudioFeatureConfig, FusionTruncationSelectsHtk) {
  nlohmann::json document = {{"feature_extractor_type", "ClapFeatureExtractor"},
                             {"truncation", "fusion"}};
  AudioFeatureConfig config = ParseAudioFeatureConfig(document, "test");
  EXPECT_TRUE(config.fusion);
  EXPECT_EQ(config.mel_scale(), MelScale::kHtk);
  document["truncation"] = "rand_trunc";
  EXPECT_EQ(ParseAudioFeatureConfig(document, "test").mel_scale(), MelScale::kSlaney);
}

TEST(AudioFeatureConfig, RejectsOtherExtractor) {
  nlohmann::json document = {{"feature_extractor_type", "WhisperFeatureExtractor"}};
  EXPECT_THROW(ParseAudioFeatureConfig(document, "test"), ModelError);
  document = {{"frequency_max", 30000}};
  EXPECT_THROW(ParseAudioFeatureConfig(document, "test"), ModelError);
}

TEST(LogMelExtractor, RejectsBadWindows) {
  LogMelExtractor extractor(AudioFeatureConfig{});
  ThreadPool pool(1);
  std::vector<float> output(static_cast<size_t>(extractor.num_frames()) * 64);
  std::vector<float> too_long(480001, 0.1f);
  EXPECT_THROW(extractor.Extract(pool, too_long, output.data()), ModelError);
  EXPECT_THROW(extractor.Extract(pool, {}, output.data()), ModelError);
  std::vector<float> nan_sample(100, 0.0f);
  nan_sample[5] = std::nanf("");
  EXPECT_THROW(extractor.Extract(pool, nan_sample, output.data()), ModelError);
}

TEST(LogMelExtractor, MatchesReferenceFeatures) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const std::filesystem::path dir = shared / "fixtures/models/clap";
  GoldenFile goldens(dir);
  const AudioFeatureConfig config = LoadAudioFeatureConfig(dir);
  EXPECT_FALSE(config.fusion);
  EXPECT_EQ(config.padding, AudioPadding::kRepeatPad);
  LogMelExtractor extractor(config);
  ASSERT_EQ(extractor.num_frames(), 1001);
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    for (const nlohmann::json& entry : goldens.CasesOfKind("audio")) {
      const std::string id = entry["id"];
      SCOPED_TRACE(id + " threads " + std::to_string(threads));
      const Tensor waveform = goldens.Floats(id + "/waveform_48k");
      Tensor features({1, 1, extractor.num_frames(), extractor.num_mel_bins()});
      extractor.Extract(pool, waveform.values, features.data());
      const double diff = MaxAbsDiff(features, goldens.Floats(id + "/input_features"));
      EXPECT_LE(diff, kFeatureToleranceDb);
      if (threads == 1) std::printf("%s input_features max abs diff %.3g dB\n", id.c_str(), diff);
    }
  }
}

}  // namespace
}  // namespace msearch::inference
