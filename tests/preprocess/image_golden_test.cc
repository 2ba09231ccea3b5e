// Every image case of the clip and chinese_clip fixtures: the decoded
// pixels, the resized pixels and the final pixel_values must match the
// goldens of the reference (Pillow 9.4 + transformers 4.27.1).
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "golden_tensors.h"
#include "preprocess/image_decode.h"
#include "preprocess/image_processor.h"
#include "support/shared_data.h"

namespace msearch::preprocess {
namespace {

using msearch::testing::GoldenTensors;

nlohmann::json ReadJson(const std::filesystem::path& path) {
  std::ifstream stream(path);
  return nlohmann::json::parse(stream);
}

std::vector<int64_t> ShapeOf(const RgbImage& image) { return {image.height, image.width, 3}; }

// Counts values that differ by more than `tolerance` and returns the
// largest difference.
float MaxAbsDiff(const std::vector<float>& actual, const std::vector<float>& expected,
                 float tolerance, size_t* over_tolerance) {
  float max_diff = 0;
  *over_tolerance = 0;
  for (size_t i = 0; i < actual.size() && i < expected.size(); ++i) {
    float diff = std::fabs(actual[i] - expected[i]);
    max_diff = std::max(max_diff, diff);
    if (diff > tolerance) ++*over_tolerance;
  }
  return max_diff;
}

// Checks every image case of `family`; returns how many were checked.
int CheckImageCases(const std::filesystem::path& shared, const std::string& family) {
  const std::filesystem::path dir = shared / "fixtures" / "models" / family;
  const nlohmann::json index = ReadJson(dir / "cases.json");
  const GoldenTensors goldens(dir / "goldens.safetensors");
  const ImageProcessor processor = ImageProcessor::Load(dir);

  int checked = 0;
  for (const nlohmann::json& entry : index["cases"]) {
    if (entry["kind"] != "image") continue;
    ++checked;
    const std::string id = entry["id"].get<std::string>();
    SCOPED_TRACE(family + " " + id);
    const nlohmann::json& input = entry["input"];

    RgbImage decoded = DecodeRgbImage(dir / input["file"].get<std::string>());
    EXPECT_EQ(decoded.width, input["width"].get<int>());
    EXPECT_EQ(decoded.height, input["height"].get<int>());
    if (goldens.Contains(id + "/decoded_rgb_uint8")) {
      EXPECT_EQ(ShapeOf(decoded), goldens.Shape(id + "/decoded_rgb_uint8"));
      EXPECT_TRUE(decoded.pixels == goldens.Uint8(id + "/decoded_rgb_uint8"))
          << "decoded pixels differ";
    }

    RgbImage resized = processor.Resize(decoded);
    EXPECT_EQ(resized.height, input["resized_hw"][0].get<int>());
    EXPECT_EQ(resized.width, input["resized_hw"][1].get<int>());
    EXPECT_EQ(ShapeOf(resized), goldens.Shape(id + "/resized_uint8"));
    const std::vector<uint8_t> expected_resized = goldens.Uint8(id + "/resized_uint8");
    size_t resized_mismatches = 0;
    for (size_t i = 0; i < resized.pixels.size() && i < expected_resized.size(); ++i) {
      if (resized.pixels[i] != expected_resized[i]) ++resized_mismatches;
    }
    EXPECT_EQ(resized_mismatches, 0u) << "resized samples that differ";

    PixelValues values = processor.Process(decoded);
    EXPECT_EQ(values.height, 224);
    EXPECT_EQ(values.width, 224);
    const std::vector<float> expected_values = goldens.Float32(id + "/pixel_values");
    if (values.data.size() != expected_values.size()) {
      ADD_FAILURE() << "pixel_values has " << values.data.size() << " values, expected "
                    << expected_values.size();
      continue;
    }
    size_t over = 0;
    float max_diff = MaxAbsDiff(values.data, expected_values, 1e-6F, &over);
    EXPECT_EQ(over, 0u) << "pixel values off by more than 1e-6; max diff " << max_diff;
    EXPECT_TRUE(values.data == expected_values)
        << "pixel values not bit-exact; max diff " << max_diff;
  }
  return checked;
}

TEST(ImageGoldens, Clip) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(CheckImageCases(shared, "clip"), 4);
}

TEST(ImageGoldens, ChineseClip) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(CheckImageCases(shared, "chinese_clip"), 4);
}

// Given the golden resized pixels, crop and normalisation alone reproduce
// pixel_values bit for bit.
TEST(ImageGoldens, PixelValuesFromResized) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  for (const std::string family : {"clip", "chinese_clip"}) {
    const std::filesystem::path dir = shared / "fixtures" / "models" / family;
    const GoldenTensors goldens(dir / "goldens.safetensors");
    const ImageProcessor processor = ImageProcessor::Load(dir);
    for (int i = 0; i < 4; ++i) {
      const std::string id = "image_0" + std::to_string(i);
      std::vector<int64_t> shape = goldens.Shape(id + "/resized_uint8");
      ASSERT_EQ(shape.size(), 3u);
      RgbImage resized{static_cast<int>(shape[1]), static_cast<int>(shape[0]),
                       goldens.Uint8(id + "/resized_uint8")};
      PixelValues values = processor.ToPixelValues(processor.CenterCrop(resized));
      EXPECT_TRUE(values.data == goldens.Float32(id + "/pixel_values")) << family << " " << id;
    }
  }
}

}  // namespace
}  // namespace msearch::preprocess
