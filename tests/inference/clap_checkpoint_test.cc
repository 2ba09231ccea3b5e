// Random CLAP checkpoints written from a config load back and run: the
// layout matches the fixture checkpoint of transformers 4.27.1, and the fused
// variant (enable_fusion), which has no reference outputs here, runs its
// fusion path.

#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "golden_file.h"
#include "inference/checkpoint_layout.h"
#include "inference/clap_model.h"
#include "inference/model_error.h"
#include "inference/random_checkpoint.h"
#include "inference/safetensors.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::inference {
namespace {

using msearch::testing::TempDir;
using testing::MaxAbsDiff;

void WritePreprocessorConfig(const std::filesystem::path& dir, bool fusion) {
  nlohmann::json document = {{"feature_extractor_type", "ClapFeatureExtractor"},
                             {"feature_size", 64},
                             {"frequency_min", 50},
                             {"frequency_max", 14000},
                             {"truncation", fusion ? "fusion" : "rand_trunc"},
                             {"padding", "repeatpad"}};
  std::ofstream(dir / "preprocessor_config.json") << document.dump(2);
}

// A short tone with noise-like harmonics, 1.5 s at 48 kHz.
std::vector<float> TestWaveform() {
  std::vector<float> samples(72000);
  for (size_t i = 0; i < samples.size(); ++i) {
    const double t = static_cast<double>(i) / 48000;
    samples[i] = static_cast<float>(0.3 * std::sin(2 * M_PI * 440 * t) +
                                    0.1 * std::sin(2 * M_PI * 3150 * t * (1 + t)));
  }
  return samples;
}

TEST(ClapCheckpoint, LayoutMatchesFixture) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const std::filesystem::path dir = shared / "fixtures/models/clap";
  const ModelConfig config = LoadModelConfig(dir);
  SafetensorsFile file(dir / "model.safetensors");
  size_t float_tensors = 0;
  for (const TensorSpec& spec : CheckpointLayout(config)) {
    SCOPED_TRACE(spec.name);
    ASSERT_TRUE(file.Contains(spec.name));
    EXPECT_EQ(file.Info(spec.name).shape, spec.shape);
    if (spec.role != TensorRole::kPositionIds) ++float_tensors;
  }
  // Every float tensor of the fixture is in the layout.
  size_t fixture_floats = 0;
  for (const TensorInfo& info : file.tensors()) {
    if (info.dtype == DType::kF32) ++fixture_floats;
  }
  EXPECT_EQ(float_tensors, fixture_floats);
}

TEST(ClapCheckpoint, PresetsRoundTrip) {
  for (const char* name : {"clap-htsat-unfused", "clap-htsat-fused"}) {
    SCOPED_TRACE(name);
    const ModelConfig config = PresetConfig(name);
    const ModelConfig reread = ParseModelConfig(ConfigToJson(config), "preset");
    EXPECT_EQ(reread.architecture, Architecture::kClap);
    EXPECT_EQ(reread.audio.depths, (std::vector<int>{2, 2, 6, 2}));
    EXPECT_EQ(reread.audio.num_attention_heads, (std::vector<int>{4, 8, 16, 32}));
    EXPECT_EQ(reread.audio.hidden_size, 768);
    EXPECT_EQ(reread.audio.enable_fusion, std::string(name) == "clap-htsat-fused");
    EXPECT_EQ(reread.roberta_text.hidden_size, 768);
    EXPECT_EQ(reread.roberta_text.max_position_embeddings, 514);
    EXPECT_EQ(reread.projection_dim, 512);
    EXPECT_FLOAT_EQ(reread.audio.layer_norm_eps, 1e-5f);
  }
}

TEST(ClapCheckpoint, RejectsUnsupportedFusionType) {
  nlohmann::json document = ConfigToJson(PresetConfig("clap-htsat-fused"));
  document["audio_config"]["fusion_type"] = "channel_map";
  EXPECT_THROW(ParseModelConfig(document, "test"), ModelError);
  document["audio_config"]["fusion_type"] = "aff_2d";
  EXPECT_NO_THROW(ParseModelConfig(document, "test"));
  document["audio_config"]["depths"] = {2, 2};
  EXPECT_THROW(ParseModelConfig(document, "test"), ModelError);
}

class ClapFusionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MSEARCH_REQUIRE_SHARED_DIR(shared);
    ModelConfig config = LoadModelConfig(shared / "fixtures/models/clap");
    config.audio.enable_fusion = true;
    WriteRandomCheckpoint(dir_.path(), config, 11);
    WritePreprocessorConfig(dir_.path(), /*fusion=*/true);
  }

  TempDir dir_;
};

TEST_F(ClapFusionTest, FusedModelRuns) {
  std::unique_ptr<ClapModel> model = ClapModel::Load(dir_.path(), EngineOptions{.num_threads = 2});
  EXPECT_TRUE(model->feature_config().fusion);
  const std::vector<float> samples = TestWaveform();
  Tensor features = model->ExtractFeatures(samples);
  ASSERT_EQ(features.shape, (std::vector<int64_t>{1, 4, 1001, 64}));
  const size_t plane = 1001 * 64;
  for (int channel = 1; channel < 4; ++channel) {
    EXPECT_TRUE(std::equal(features.values.begin(), features.values.begin() + plane,
                           features.values.begin() + channel * plane));
  }
  AudioOutputs four = model->EncodeAudio(features.values, 1, 4, 1001, true);
  EXPECT_EQ(four.mel_image.shape, (std::vector<int64_t>{1, 4, 256, 256}));
  for (float value : four.audio_embeds.values) ASSERT_TRUE(std::isfinite(value));
  // One channel stands for four identical copies.
  std::vector<float> one(features.values.begin(), features.values.begin() + plane);
  AudioOutputs single = model->EncodeAudio(one, 1, 1, 1001, false);
  EXPECT_LE(MaxAbsDiff(single.audio_embeds, four.audio_embeds), 1e-6);

  WaveformEmbeddings embedded = model->EmbedWaveform(samples, 48000);
  ASSERT_EQ(embedded.segments.size(), 1u);
  double squares = 0;
  for (float value : embedded.embeddings.values) squares += static_cast<double>(value) * value;
  EXPECT_NEAR(std::sqrt(squares), 1.0, 1e-6);
}

TEST_F(ClapFusionTest, FusionPathChangesOutput) {
  // The same weights with enable_fusion off skip mel_conv2d and the fusion
  // block; the extra tensors stay unused.
  std::unique_ptr<ClapModel> fused = ClapModel::Load(dir_.path(), EngineOptions{});
  Tensor features = fused->ExtractFeatures(TestWaveform());
  std::vector<float> one(features.values.begin(), features.values.begin() + 1001 * 64);
  AudioOutputs with_fusion = fused->EncodeAudio(one, 1, 1, 1001, true);

  nlohmann::json document = ConfigToJson(fused->config());
  document["audio_config"]["enable_fusion"] = false;
  std::ofstream(dir_.path() / "config.json") << document.dump(2);
  std::unique_ptr<ClapModel> plain = ClapModel::Load(dir_.path(), EngineOptions{});
  AudioOutputs without_fusion = plain->EncodeAudio(one, 1, 1, 1001, true);
  // Channel 0 of the mel image is the same; the patch embeddings are not.
  Tensor channel0;
  channel0.shape = {1, 1, 256, 256};
  channel0.values.assign(with_fusion.mel_image.values.begin(),
                         with_fusion.mel_image.values.begin() + 256 * 256);
  EXPECT_LE(MaxAbsDiff(channel0, without_fusion.mel_image), 0.0);
  EXPECT_GT(MaxAbsDiff(with_fusion.patch_embeddings, without_fusion.patch_embeddings), 1e-2);
}

}  // namespace
}  // namespace msearch::inference
