// Random checkpoints written from a config load back and run, so the layout
// the tool writes is exactly the one the loader reads.

#include <cmath>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "inference/checkpoint_layout.h"
#include "inference/clip_model.h"
#include "inference/model_error.h"
#include "inference/random_checkpoint.h"
#include "inference/safetensors.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::inference {
namespace {

using msearch::testing::TempDir;

// A small model of each architecture with every size distinct, so a swapped
// dimension cannot go unnoticed.
ModelConfig SmallConfig(Architecture architecture) {
  ModelConfig config =
      PresetConfig(architecture == Architecture::kClip ? "clip-vit-b32" : "chinese-clip-vit-b16");
  config.projection_dim = 24;
  for (EncoderConfig* encoder : {static_cast<EncoderConfig*>(&config.clip_text),
                                 static_cast<EncoderConfig*>(&config.bert_text),
                                 static_cast<EncoderConfig*>(&config.vision)}) {
    encoder->num_hidden_layers = 2;
    encoder->num_attention_heads = 2;
  }
  config.clip_text.hidden_size = 16;
  config.clip_text.intermediate_size = 40;
  config.clip_text.vocab_size = 500;
  config.bert_text.hidden_size = 20;
  config.bert_text.intermediate_size = 36;
  config.bert_text.vocab_size = 300;
  config.bert_text.max_position_embeddings = 40;
  config.vision.hidden_size = 28;
  config.vision.intermediate_size = 44;
  config.vision.image_size = 64;
  config.vision.patch_size = 16;
  return config;
}

class CheckpointTest : public ::testing::TestWithParam<Architecture> {};

TEST_P(CheckpointTest, RandomCheckpointRuns) {
  TempDir dir;
  const ModelConfig config = SmallConfig(GetParam());
  WriteRandomCheckpoint(dir.path(), config, 42);

  ModelConfig reread = LoadModelConfig(dir.path());
  EXPECT_EQ(reread.architecture, config.architecture);
  EXPECT_EQ(reread.vision.hidden_size, 28);
  EXPECT_FLOAT_EQ(reread.vision.layer_norm_eps, config.vision.layer_norm_eps);

  auto model = ClipModel::Load(dir.path(), EngineOptions{.num_threads = 2});
  EXPECT_GE(model->logit_scale(), 2.4f);
  EXPECT_LE(model->logit_scale(), 3.2f);
  std::vector<float> pixels(2 * 3 * 64 * 64, 0.5f);
  Tensor image = model->EmbedImages(pixels, 2);
  std::vector<int64_t> ids = {1, 7, 9, 0, 3, 4, 5, 6};
  Tensor text = model->EmbedTexts({2, 4, ids, {}, {}});
  EXPECT_EQ(image.shape, (std::vector<int64_t>{2, 24}));
  EXPECT_EQ(text.shape, (std::vector<int64_t>{2, 24}));
  for (float value : image.values) ASSERT_TRUE(std::isfinite(value));
  for (float value : text.values) ASSERT_TRUE(std::isfinite(value));
}

TEST_P(CheckpointTest, SameSeedSameBytes) {
  TempDir first;
  TempDir second;
  WriteRandomCheckpoint(first.path(), SmallConfig(GetParam()), 5);
  WriteRandomCheckpoint(second.path(), SmallConfig(GetParam()), 5);
  std::ifstream a(first / "model.safetensors", std::ios::binary);
  std::ifstream b(second / "model.safetensors", std::ios::binary);
  EXPECT_TRUE(std::equal(std::istreambuf_iterator<char>(a), {}, std::istreambuf_iterator<char>(b)));
}

INSTANTIATE_TEST_SUITE_P(Architectures, CheckpointTest,
                         ::testing::Values(Architecture::kClip, Architecture::kChineseClip),
                         [](const auto& test_info) {
                           return std::string(ModelTypeName(test_info.param));
                         });

// The layout of the fixtures (written by transformers) and the layout this
// engine derives from their config.json name the same tensors with the same
// shapes.
TEST(CheckpointLayout, MatchesFixtures) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  for (const char* family : {"clip", "chinese_clip"}) {
    SCOPED_TRACE(family);
    const auto dir = shared / "fixtures/models" / family;
    SafetensorsFile file(dir / "model.safetensors");
    std::vector<TensorSpec> layout = CheckpointLayout(LoadModelConfig(dir));
    EXPECT_EQ(layout.size(), file.tensors().size());
    for (const TensorSpec& spec : layout) {
      ASSERT_TRUE(file.Contains(spec.name)) << spec.name;
      EXPECT_EQ(file.Info(spec.name).shape, spec.shape) << spec.name;
    }
  }
}

TEST(CheckpointLayout, PresetSizes) {
  auto count = [](const ModelConfig& config) {
    int64_t parameters = 0;
    for (const TensorSpec& spec : CheckpointLayout(config)) {
      if (spec.role == TensorRole::kPositionIds) continue;
      int64_t size = 1;
      for (int64_t dim : spec.shape) size *= dim;
      parameters += size;
    }
    return parameters;
  };
  // Parameter counts of the released checkpoints' state dicts.
  EXPECT_EQ(count(PresetConfig("clip-vit-b32")), 151277313);
  EXPECT_EQ(count(PresetConfig("clip-vit-b16")), 149620737);
  EXPECT_THROW(PresetConfig("clip-vit-h14"), ModelError);
}

}  // namespace
}  // namespace msearch::inference
