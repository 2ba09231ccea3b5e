#include "inference/model_config.h"

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "inference/model_error.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::inference {
namespace {

using nlohmann::json;

std::string ErrorOf(const json& document) {
  try {
    ParseModelConfig(document, "config.json");
  } catch (const ModelError& error) {
    return error.what();
  }
  return "";
}

TEST(ModelConfig, ReadsClipFixture) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  ModelConfig config = LoadModelConfig(shared / "fixtures/models/clip");
  EXPECT_EQ(config.architecture, Architecture::kClip);
  EXPECT_EQ(config.projection_dim, 48);
  EXPECT_EQ(config.clip_text.hidden_size, 32);
  EXPECT_EQ(config.clip_text.num_attention_heads, 2);
  EXPECT_EQ(config.clip_text.vocab_size, 49408);
  EXPECT_EQ(config.clip_text.hidden_act, Activation::kQuickGelu);
  EXPECT_FLOAT_EQ(config.clip_text.layer_norm_eps, 1e-5f);
  EXPECT_EQ(config.vision.hidden_size, 64);
  EXPECT_EQ(config.vision.patch_size, 32);
  EXPECT_EQ(config.vision.num_positions(), 50);
}

TEST(ModelConfig, ReadsChineseClipFixture) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  ModelConfig config = LoadModelConfig(shared / "fixtures/models/chinese_clip");
  EXPECT_EQ(config.architecture, Architecture::kChineseClip);
  EXPECT_EQ(config.bert_text.vocab_size, 21128);
  EXPECT_EQ(config.bert_text.type_vocab_size, 2);
  EXPECT_EQ(config.bert_text.hidden_act, Activation::kGelu);
  EXPECT_FLOAT_EQ(config.bert_text.layer_norm_eps, 1e-12f);
  EXPECT_EQ(config.vision.patch_size, 16);
  EXPECT_EQ(config.vision.num_positions(), 197);
}

TEST(ModelConfig, ClipDefaults) {
  ModelConfig config = ParseModelConfig({{"architectures", {"CLIPModel"}}}, "config.json");
  EXPECT_EQ(config.projection_dim, 512);
  EXPECT_EQ(config.clip_text.hidden_size, 512);
  EXPECT_EQ(config.clip_text.intermediate_size, 2048);
  EXPECT_EQ(config.clip_text.num_attention_heads, 8);
  EXPECT_EQ(config.clip_text.num_hidden_layers, 12);
  EXPECT_EQ(config.clip_text.max_position_embeddings, 77);
  EXPECT_EQ(config.vision.hidden_size, 768);
  EXPECT_EQ(config.vision.num_attention_heads, 12);
  EXPECT_EQ(config.vision.patch_size, 32);
  EXPECT_EQ(config.vision.image_size, 224);
  EXPECT_EQ(config.vision.hidden_act, Activation::kQuickGelu);
}

TEST(ModelConfig, ChineseClipDefaults) {
  ModelConfig config = ParseModelConfig({{"model_type", "chinese_clip"}}, "config.json");
  EXPECT_EQ(config.architecture, Architecture::kChineseClip);
  EXPECT_EQ(config.bert_text.vocab_size, 30522);
  EXPECT_EQ(config.bert_text.hidden_size, 768);
  EXPECT_EQ(config.bert_text.max_position_embeddings, 512);
  EXPECT_EQ(config.bert_text.hidden_act, Activation::kGelu);
  EXPECT_FLOAT_EQ(config.bert_text.layer_norm_eps, 1e-12f);
  EXPECT_EQ(config.vision.hidden_act, Activation::kQuickGelu);
}

TEST(ModelConfig, LegacyDictWins) {
  json document = {{"architectures", {"CLIPModel"}},
                   {"text_config", {{"hidden_size", 256}, {"num_attention_heads", 4}}},
                   {"text_config_dict", {{"hidden_size", 512}}},
                   {"vision_config", nullptr}};
  ModelConfig config = ParseModelConfig(document, "config.json");
  EXPECT_EQ(config.clip_text.hidden_size, 512);
  EXPECT_EQ(config.clip_text.num_attention_heads, 4);
  EXPECT_EQ(config.vision.hidden_size, 768);
}

TEST(ModelConfig, ReadsActivations) {
  json document = {{"architectures", {"CLIPModel"}},
                   {"text_config", {{"hidden_act", "gelu_new"}}},
                   {"vision_config", {{"hidden_act", "relu"}}}};
  ModelConfig config = ParseModelConfig(document, "config.json");
  EXPECT_EQ(config.clip_text.hidden_act, Activation::kGeluTanh);
  EXPECT_EQ(config.vision.hidden_act, Activation::kRelu);
}

TEST(ModelConfig, RejectsUnknownArchitecture) {
  std::string message = ErrorOf({{"architectures", {"BertModel"}}, {"model_type", "bert"}});
  EXPECT_NE(message.find("unsupported architecture BertModel"), std::string::npos) << message;
  EXPECT_NE(message.find("CLIPModel"), std::string::npos) << message;
  EXPECT_NE(message.find("ChineseCLIPModel"), std::string::npos) << message;
}

TEST(ModelConfig, RejectsUnknownModelType) {
  std::string message = ErrorOf({{"model_type", "blip"}});
  EXPECT_NE(message.find("unsupported model_type 'blip'"), std::string::npos) << message;
}

TEST(ModelConfig, RejectsUnknownActivation) {
  std::string message =
      ErrorOf({{"architectures", {"CLIPModel"}}, {"vision_config", {{"hidden_act", "swish"}}}});
  EXPECT_NE(message.find("unsupported hidden_act 'swish'"), std::string::npos) << message;
  EXPECT_NE(message.find("vision_config"), std::string::npos) << message;
}

TEST(ModelConfig, RejectsIndivisibleHeads) {
  std::string message =
      ErrorOf({{"architectures", {"CLIPModel"}},
               {"text_config", {{"hidden_size", 100}, {"num_attention_heads", 8}}}});
  EXPECT_NE(message.find("not divisible"), std::string::npos) << message;
}

TEST(ModelConfig, RejectsWrongType) {
  std::string message = ErrorOf({{"architectures", {"CLIPModel"}}, {"projection_dim", "512"}});
  EXPECT_NE(message.find("projection_dim"), std::string::npos) << message;
  message = ErrorOf({{"architectures", {"CLIPModel"}}, {"vision_config", {{"patch_size", 0}}}});
  EXPECT_NE(message.find("patch_size"), std::string::npos) << message;
}

TEST(ModelConfig, MissingFileNamesPath) {
  msearch::testing::TempDir dir;
  try {
    LoadModelConfig(dir.path());
    FAIL() << "no error";
  } catch (const ModelError& error) {
    EXPECT_NE(std::string(error.what()).find("config.json' not found"), std::string::npos)
        << error.what();
  }
}

TEST(ModelConfig, InvalidJsonNamesPath) {
  msearch::testing::TempDir dir;
  std::ofstream(dir / "config.json") << "{\"architectures\": [";
  try {
    LoadModelConfig(dir.path());
    FAIL() << "no error";
  } catch (const ModelError& error) {
    EXPECT_NE(std::string(error.what()).find("is not valid JSON"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace msearch::inference
