#include "inference/safetensors.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "inference/float16.h"
#include "inference/model_error.h"
#include "inference/safetensors_writer.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::inference {
namespace {

using msearch::testing::TempDir;

// Writes a file made of the 8-byte length of `header`, `header` and `data`.
void WriteRaw(const std::filesystem::path& path, const std::string& header, const std::string& data,
              uint64_t declared_length = UINT64_MAX) {
  std::ofstream file(path, std::ios::binary);
  uint64_t length = declared_length == UINT64_MAX ? header.size() : declared_length;
  file.write(reinterpret_cast<const char*>(&length), sizeof(length));
  file << header << data;
}

std::string ErrorOf(const std::filesystem::path& path) {
  try {
    SafetensorsFile file(path);
  } catch (const ModelError& error) {
    return error.what();
  }
  return "";
}

TEST(Safetensors, RoundTripsEveryDtype) {
  TempDir dir;
  const auto path = dir / "t.safetensors";
  std::vector<TensorToWrite> tensors;
  tensors.push_back(FloatTensor("f32", {2, 2}, {1.0f, -2.5f, 3.25f, 1e-3f}));
  tensors.push_back(FloatTensor("f16", {3}, {1.0f, -0.333333f, 65504.0f}, DType::kF16));
  tensors.push_back(FloatTensor("bf16", {2}, {3.0f, -1.0e20f}, DType::kBF16));
  tensors.push_back(Int64Tensor("ids", {1, 3}, {0, -7, 49407}));
  TensorToWrite flags{"flags", DType::kBool, {3}, [](std::span<std::byte> out) {
                        out[0] = std::byte{1};
                        out[1] = std::byte{0};
                        out[2] = std::byte{1};
                      }};
  tensors.push_back(std::move(flags));
  WriteSafetensors(path, std::move(tensors), {{"format", "pt"}});

  SafetensorsFile file(path);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  EXPECT_EQ(file.tensors().size(), 5u);
  const TensorInfo& f32 = file.Info("f32");
  EXPECT_EQ(f32.shape, (std::vector<int64_t>{2, 2}));
  ASSERT_NE(file.FloatData(f32), nullptr);  // used in place
  EXPECT_EQ(file.ReadFloats(f32), (std::vector<float>{1.0f, -2.5f, 3.25f, 1e-3f}));

  std::vector<float> halves = file.ReadFloats(file.Info("f16"));
  EXPECT_EQ(halves[0], 1.0f);
  EXPECT_NEAR(halves[1], -0.333333f, 2e-4);
  EXPECT_EQ(halves[2], 65504.0f);
  EXPECT_EQ(file.FloatData(file.Info("f16")), nullptr);

  std::vector<float> brain = file.ReadFloats(file.Info("bf16"));
  EXPECT_EQ(brain[0], 3.0f);
  EXPECT_NEAR(brain[1], -1.0e20f, 1e18);

  EXPECT_EQ(file.ReadInts(file.Info("ids")), (std::vector<int64_t>{0, -7, 49407}));
  EXPECT_EQ(file.ReadInts(file.Info("flags")), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_THROW(file.ReadInts(f32), ModelError);
  EXPECT_THROW(file.ReadFloats(file.Info("ids")), ModelError);
}

TEST(Safetensors, AlignsTensorsBySize) {
  TempDir dir;
  const auto path = dir / "t.safetensors";
  std::vector<TensorToWrite> tensors;
  tensors.push_back(FloatTensor("b", {3}, {1, 2, 3}, DType::kF16));
  tensors.push_back(FloatTensor("a", {1}, {4}));
  tensors.push_back(Int64Tensor("c", {1}, {5}));
  WriteSafetensors(path, std::move(tensors));
  SafetensorsFile file(path);
  // Largest element first, so every tensor is aligned to its element size.
  EXPECT_LT(file.Info("c").begin, file.Info("a").begin);
  EXPECT_LT(file.Info("a").begin, file.Info("b").begin);
  EXPECT_EQ(file.Info("c").begin % 8, 0u);
}

TEST(Safetensors, ReadsFixtureGoldens) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  SafetensorsFile goldens(shared / "fixtures/models/clip/goldens.safetensors");
  EXPECT_EQ(goldens.metadata().at("format"), "goldens");
  const TensorInfo& ids = goldens.Info("text_00/input_ids");
  EXPECT_EQ(ids.dtype, DType::kI64);
  std::vector<int64_t> values = goldens.ReadInts(ids);
  ASSERT_EQ(values.size(), 77u);
  EXPECT_EQ(values[0], 49406);  // <|startoftext|>
  EXPECT_EQ(goldens.Info("image_00/resized_uint8").dtype, DType::kU8);
  EXPECT_EQ(goldens.Info("batch/logit_scale").shape, std::vector<int64_t>{});
}

TEST(Safetensors, RejectsShortFile) {
  TempDir dir;
  std::ofstream(dir / "short.safetensors") << "abc";
  EXPECT_NE(ErrorOf(dir / "short.safetensors").find("truncated"), std::string::npos);
}

TEST(Safetensors, RejectsHeaderPastEnd) {
  TempDir dir;
  WriteRaw(dir / "t.safetensors", "{}", "", 4096);
  std::string message = ErrorOf(dir / "t.safetensors");
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

TEST(Safetensors, RejectsHugeHeaderLength) {
  TempDir dir;
  WriteRaw(dir / "t.safetensors", "{}", "", uint64_t{1} << 40);
  EXPECT_NE(ErrorOf(dir / "t.safetensors").find("exceeds the limit"), std::string::npos);
}

TEST(Safetensors, RejectsInvalidJson) {
  TempDir dir;
  WriteRaw(dir / "t.safetensors", "{\"a\": [", "");
  std::string message = ErrorOf(dir / "t.safetensors");
  EXPECT_NE(message.find("not valid JSON"), std::string::npos) << message;
  EXPECT_NE(message.find("t.safetensors"), std::string::npos) << message;
}

TEST(Safetensors, RejectsDataPastEnd) {
  TempDir dir;
  WriteRaw(dir / "t.safetensors",
           R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", "12345678");
  std::string message = ErrorOf(dir / "t.safetensors");
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  EXPECT_NE(message.find("'w'"), std::string::npos) << message;
}

TEST(Safetensors, RejectsSizeMismatch) {
  TempDir dir;
  WriteRaw(dir / "t.safetensors",
           R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}})",
           std::string(16, '\0'));
  std::string message = ErrorOf(dir / "t.safetensors");
  EXPECT_NE(message.find("tensor 'w' has shape [3] of F32 (12 bytes)"), std::string::npos)
      << message;
}

TEST(Safetensors, RejectsOverlap) {
  TempDir dir;
  WriteRaw(dir / "t.safetensors",
           R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
           R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
           std::string(12, '\0'));
  std::string message = ErrorOf(dir / "t.safetensors");
  EXPECT_NE(message.find("overlap"), std::string::npos) << message;
}

TEST(Safetensors, RejectsUnknownDtype) {
  TempDir dir;
  WriteRaw(dir / "t.safetensors",
           R"({"w": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}})", "x");
  EXPECT_NE(ErrorOf(dir / "t.safetensors").find("unsupported dtype 'F8_E4M3'"), std::string::npos);
}

TEST(Safetensors, RejectsNegativeShape) {
  TempDir dir;
  WriteRaw(dir / "t.safetensors",
           R"({"w": {"dtype": "U8", "shape": [-1], "data_offsets": [0, 1]}})", "x");
  EXPECT_NE(ErrorOf(dir / "t.safetensors").find("shape entry"), std::string::npos);
}

TEST(Safetensors, MissingTensorNamesFile) {
  TempDir dir;
  WriteSafetensors(dir / "t.safetensors", {FloatTensor("a", {1}, {1})});
  SafetensorsFile file(dir / "t.safetensors");
  try {
    file.Info("b");
    FAIL() << "no error";
  } catch (const ModelError& error) {
    EXPECT_NE(std::string(error.what()).find("has no tensor 'b'"), std::string::npos);
  }
}

TEST(Float16, ConvertsExactly) {
  EXPECT_EQ(HalfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xc000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x0001), 5.9604644775390625e-08f);  // smallest subnormal
  EXPECT_EQ(HalfToFloat(0x7bff), 65504.0f);
  EXPECT_TRUE(std::isinf(HalfToFloat(0x7c00)));
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7e00)));
  for (uint32_t bits = 0; bits < 0x7c00; ++bits) {
    ASSERT_EQ(FloatToHalf(HalfToFloat(static_cast<uint16_t>(bits))), bits);
  }
  EXPECT_EQ(FloatToHalf(1.0f + 1.0f / 4096), 0x3c00);  // halfway rounds to even
  EXPECT_EQ(FloatToHalf(1e6f), 0x7c00);                // overflow to infinity
  EXPECT_EQ(FloatToBFloat16(1.0f), 0x3f80);
  EXPECT_EQ(BFloat16ToFloat(0xbf80), -1.0f);
}

}  // namespace
}  // namespace msearch::inference
