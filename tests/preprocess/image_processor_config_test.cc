#include "preprocess/image_processor_config.h"

#include <fstream>

#include <gtest/gtest.h>

#include "preprocess/preprocess_error.h"
#include "support/temp_dir.h"

namespace msearch::preprocess {
namespace {

using nlohmann::json;

ImageProcessorConfig Parse(const std::string& text) {
  return ParseImageProcessorConfig(json::parse(text), "preprocessor_config.json");
}

std::string ParseError(const std::string& text) {
  try {
    Parse(text);
  } catch (const PreprocessError& error) {
    return error.what();
  }
  return "no error";
}

TEST(ImageProcessorConfig, LegacyClipLayout) {
  ImageProcessorConfig config = Parse(R"({"size": 224, "crop_size": 224,
      "feature_extractor_type": "CLIPFeatureExtractor", "resample": 3})");
  EXPECT_EQ(config.kind, ImageProcessorKind::kClip);
  EXPECT_EQ(config.resize_mode, ResizeMode::kShortestEdge);
  EXPECT_EQ(config.shortest_edge, 224);
  EXPECT_EQ(config.crop_height, 224);
  EXPECT_EQ(config.crop_width, 224);
  EXPECT_TRUE(config.do_rescale);
  EXPECT_EQ(config.rescale_factor, 1.0 / 255.0);
  EXPECT_EQ(config.resample, ResampleFilter::kBicubic);
}

TEST(ImageProcessorConfig, CurrentClipLayout) {
  ImageProcessorConfig config = Parse(R"({"size": {"shortest_edge": 336},
      "crop_size": {"height": 336, "width": 320}, "do_rescale": true, "rescale_factor": 0.5,
      "image_mean": [0.5, 0.5, 0.5], "image_std": 0.25, "do_convert_rgb": true,
      "image_processor_type": "CLIPImageProcessor"})");
  EXPECT_EQ(config.shortest_edge, 336);
  EXPECT_EQ(config.crop_height, 336);
  EXPECT_EQ(config.crop_width, 320);
  EXPECT_EQ(config.rescale_factor, 0.5);
  EXPECT_EQ(config.image_mean, (std::array<float, 3>{0.5F, 0.5F, 0.5F}));
  EXPECT_EQ(config.image_std, (std::array<float, 3>{0.25F, 0.25F, 0.25F}));
}

TEST(ImageProcessorConfig, MissingKeysTakeDefaults) {
  ImageProcessorConfig config = Parse("{}");
  EXPECT_EQ(config.kind, ImageProcessorKind::kClip);
  EXPECT_TRUE(config.do_resize);
  EXPECT_EQ(config.resize_mode, ResizeMode::kShortestEdge);
  EXPECT_EQ(config.shortest_edge, 224);
  EXPECT_TRUE(config.do_center_crop);
  EXPECT_TRUE(config.do_normalize);
  EXPECT_FLOAT_EQ(config.image_mean[0], 0.48145466F);
  EXPECT_FLOAT_EQ(config.image_std[2], 0.27577711F);
}

TEST(ImageProcessorConfig, ChineseClipSizes) {
  ImageProcessorConfig fixed = Parse(R"({"feature_extractor_type": "ChineseCLIPFeatureExtractor",
      "size": {"height": 224, "width": 200}, "do_center_crop": false})");
  EXPECT_EQ(fixed.kind, ImageProcessorKind::kChineseClip);
  EXPECT_EQ(fixed.resize_mode, ResizeMode::kFixed);
  EXPECT_EQ(fixed.resize_height, 224);
  EXPECT_EQ(fixed.resize_width, 200);
  EXPECT_FALSE(fixed.do_center_crop);
  // An integer size means a square for Chinese-CLIP, the shortest edge for CLIP.
  ImageProcessorConfig square =
      Parse(R"({"image_processor_type": "ChineseCLIPImageProcessor", "size": 256})");
  EXPECT_EQ(square.resize_mode, ResizeMode::kFixed);
  EXPECT_EQ(square.resize_height, 256);
  EXPECT_EQ(square.resize_width, 256);
  ImageProcessorConfig defaults = Parse(R"({"image_processor_type": "ChineseCLIPImageProcessor"})");
  EXPECT_EQ(defaults.resize_mode, ResizeMode::kFixed);
  EXPECT_EQ(defaults.resize_height, 224);
}

TEST(ImageProcessorConfig, RejectsInvalidValues) {
  EXPECT_NE(
      ParseError(R"({"image_processor_type": "ViTImageProcessor"})").find("ViTImageProcessor"),
      std::string::npos);
  EXPECT_NE(ParseError(R"({"resample": 0})").find("resample"), std::string::npos);
  EXPECT_NE(ParseError(R"({"size": "big"})").find("'size'"), std::string::npos);
  EXPECT_NE(ParseError(R"({"size": -3})").find("'size'"), std::string::npos);
  EXPECT_NE(ParseError(R"({"image_std": [1, 0, 1]})").find("image_std"), std::string::npos);
  EXPECT_NE(ParseError(R"({"image_mean": [1, 2]})").find("image_mean"), std::string::npos);
  EXPECT_NE(ParseError(R"({"do_resize": 1})").find("do_resize"), std::string::npos);
  EXPECT_NE(ParseError("[]").find("JSON object"), std::string::npos);
}

TEST(ImageProcessorConfig, LoadNamesTheFile) {
  msearch::testing::TempDir dir;
  try {
    LoadImageProcessorConfig(dir / "preprocessor_config.json");
    FAIL() << "expected PreprocessError";
  } catch (const PreprocessError& error) {
    EXPECT_NE(std::string(error.what()).find((dir / "preprocessor_config.json").string()),
              std::string::npos);
  }
  std::ofstream(dir / "preprocessor_config.json") << "{\"size\": ";
  EXPECT_THROW(LoadImageProcessorConfig(dir / "preprocessor_config.json"), PreprocessError);
}

}  // namespace
}  // namespace msearch::preprocess
