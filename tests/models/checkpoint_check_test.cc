#include "models/checkpoint_check.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/error.h"
#include "hub_test_server.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::models {
namespace {

namespace fs = std::filesystem;

// The message of the Error that CheckCheckpoint throws for `dir`, or "" if it passes.
std::string CheckError(const fs::path& dir) {
  try {
    CheckCheckpoint(dir);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(CheckpointCheck, FixtureFamilies) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  fs::path models = shared / "fixtures" / "models";
  EXPECT_EQ(CheckCheckpoint(models / "clip"), ModelFamily::kClip);
  EXPECT_EQ(CheckCheckpoint(models / "chinese_clip"), ModelFamily::kChineseClip);
  EXPECT_EQ(CheckCheckpoint(models / "clap"), ModelFamily::kClap);
}

TEST(CheckpointCheck, FamilyModalities) {
  EXPECT_EQ(FamilyModalities(ModelFamily::kClip), (std::vector<std::string>{"image", "text"}));
  EXPECT_EQ(FamilyModalities(ModelFamily::kClap), (std::vector<std::string>{"audio", "text"}));
  EXPECT_EQ(FamilyName(ModelFamily::kChineseClip), "chinese_clip");
}

TEST(CheckpointCheck, RejectsUnsupportedArchitecture) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  std::string message = CheckError(shared / "fixtures" / "models" / "whisper");
  EXPECT_NE(message.find("WhisperForConditionalGeneration"), std::string::npos) << message;
  EXPECT_NE(message.find("config.json"), std::string::npos) << message;
}

TEST(CheckpointCheck, MissingConfigJson) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir temp;
  models::testing::CopyWritable(shared / "fixtures" / "models" / "clip", temp / "clip");
  fs::remove(temp / "clip" / "config.json");
  std::string message = CheckError(temp / "clip");
  EXPECT_NE(message.find("missing"), std::string::npos) << message;
  EXPECT_NE(message.find((temp / "clip" / "config.json").string()), std::string::npos) << message;
}

TEST(CheckpointCheck, TruncatedSafetensors) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir temp;
  models::testing::CopyWritable(shared / "fixtures" / "models" / "clip", temp / "clip");
  fs::path weights = temp / "clip" / "model.safetensors";
  fs::resize_file(weights, fs::file_size(weights) / 2);
  std::string message = CheckError(temp / "clip");
  EXPECT_NE(message.find("invalid weights file"), std::string::npos) << message;
  EXPECT_NE(message.find(weights.string()), std::string::npos) << message;
}

TEST(CheckpointCheck, GarbageSafetensorsHeader) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir temp;
  models::testing::CopyWritable(shared / "fixtures" / "models" / "clap", temp / "clap");
  std::ofstream(temp / "clap" / "model.safetensors", std::ios::trunc) << "not a safetensors file";
  std::string message = CheckError(temp / "clap");
  EXPECT_NE(message.find("model.safetensors"), std::string::npos) << message;
}

TEST(CheckpointCheck, MissingTokenizerFile) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir temp;
  models::testing::CopyWritable(shared / "fixtures" / "models" / "chinese_clip", temp / "cc");
  fs::remove(temp / "cc" / "vocab.txt");
  std::string message = CheckError(temp / "cc");
  EXPECT_NE(message.find((temp / "cc" / "vocab.txt").string()), std::string::npos) << message;
  EXPECT_NE(message.find("chinese_clip"), std::string::npos) << message;
}

TEST(CheckpointCheck, PytorchOnlyExplainsConversion) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir temp;
  models::testing::CopyWritable(shared / "fixtures" / "models" / "clip", temp / "clip");
  fs::rename(temp / "clip" / "model.safetensors", temp / "clip" / "pytorch_model.bin");
  std::string message = CheckError(temp / "clip");
  EXPECT_NE(message.find("pytorch_model.bin"), std::string::npos) << message;
  EXPECT_NE(message.find("safe_serialization=True"), std::string::npos) << message;
}

TEST(CheckpointCheck, InvalidClipConfig) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir temp;
  models::testing::CopyWritable(shared / "fixtures" / "models" / "clip", temp / "clip");
  std::ofstream(temp / "clip" / "config.json", std::ios::trunc)
      << R"({"architectures": ["CLIPModel"], "projection_dim": "wide"})";
  std::string message = CheckError(temp / "clip");
  EXPECT_NE(message.find("invalid config.json"), std::string::npos) << message;
  EXPECT_NE(message.find("projection_dim"), std::string::npos) << message;
}

TEST(CheckpointCheck, MissingFolder) {
  msearch::testing::TempDir temp;
  std::string message = CheckError(temp / "absent");
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
}

}  // namespace
}  // namespace msearch::models
