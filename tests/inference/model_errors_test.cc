// Model folders that are broken in one way each, written into a temporary
// folder from the clip fixture, and inputs a model must reject without
// becoming unusable.

#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "golden_file.h"
#include "inference/clip_model.h"
#include "inference/model_error.h"
#include "inference/model_loader.h"
#include "inference/safetensors.h"
#include "inference/safetensors_writer.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::inference {
namespace {

namespace fs = std::filesystem;
using msearch::testing::TempDir;

using Edit = std::function<void(std::vector<TensorToWrite>&)>;

// Copies the fixture model in `source` to `target`, passing its tensors
// through `edit` first.
void CopyModel(const fs::path& source, const fs::path& target, const Edit& edit = nullptr,
               DType float_dtype = DType::kF32) {
  fs::copy_file(source / "config.json", target / "config.json");
  SafetensorsFile file(source / "model.safetensors");
  std::vector<TensorToWrite> tensors;
  for (const TensorInfo& info : file.tensors()) {
    if (info.dtype == DType::kF32 && float_dtype != DType::kF32) {
      tensors.push_back(FloatTensor(info.name, info.shape, file.ReadFloats(info), float_dtype));
      continue;
    }
    std::span<const std::byte> bytes = file.Bytes(info);
    tensors.push_back({info.name, info.dtype, info.shape, [bytes](std::span<std::byte> out) {
                         std::memcpy(out.data(), bytes.data(), bytes.size());
                       }});
  }
  if (edit) edit(tensors);
  WriteSafetensors(target / "model.safetensors", std::move(tensors));
}

std::string LoadError(const fs::path& dir) {
  try {
    LoadEmbeddingModel(dir, EngineOptions{});
  } catch (const ModelError& error) {
    return error.what();
  }
  return "";
}

class ModelErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MSEARCH_REQUIRE_SHARED_DIR(shared);
    fixture_ = shared / "fixtures/models/clip";
  }

  fs::path fixture_;
  TempDir dir_;
};

TEST_F(ModelErrorTest, WrongShape) {
  CopyModel(fixture_, dir_.path(), [](std::vector<TensorToWrite>& tensors) {
    for (TensorToWrite& tensor : tensors) {
      if (tensor.name == "vision_model.encoder.layers.0.self_attn.q_proj.weight") {
        tensor = FloatTensor(tensor.name, {64, 32}, std::vector<float>(64 * 32, 0.0f));
      }
    }
  });
  std::string message = LoadError(dir_.path());
  EXPECT_NE(message.find("tensor 'vision_model.encoder.layers.0.self_attn.q_proj.weight' has "
                         "shape [64, 32], expected [64, 64] from config.json"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("model.safetensors"), std::string::npos) << message;
}

TEST_F(ModelErrorTest, MissingTensor) {
  CopyModel(fixture_, dir_.path(), [](std::vector<TensorToWrite>& tensors) {
    std::erase_if(tensors, [](const TensorToWrite& tensor) {
      return tensor.name == "text_model.final_layer_norm.weight";
    });
  });
  std::string message = LoadError(dir_.path());
  EXPECT_NE(message.find("has no tensor 'text_model.final_layer_norm.weight'"), std::string::npos)
      << message;
}

TEST_F(ModelErrorTest, TruncatedFile) {
  CopyModel(fixture_, dir_.path());
  const fs::path path = dir_ / "model.safetensors";
  fs::resize_file(path, fs::file_size(path) / 2);
  std::string message = LoadError(dir_.path());
  EXPECT_NE(message.find("is truncated"), std::string::npos) << message;
  EXPECT_NE(message.find("model.safetensors"), std::string::npos) << message;
}

TEST_F(ModelErrorTest, BadHeader) {
  fs::copy_file(fixture_ / "config.json", dir_ / "config.json");
  {
    std::ofstream file(dir_ / "model.safetensors", std::ios::binary);
    const std::string header = "not json at all!";
    const uint64_t length = header.size();
    file.write(reinterpret_cast<const char*>(&length), sizeof(length));
    file << header;
  }
  std::string message = LoadError(dir_.path());
  EXPECT_NE(message.find("invalid safetensors header"), std::string::npos) << message;
}

TEST_F(ModelErrorTest, UnknownArchitecture) {
  CopyModel(fixture_, dir_.path());
  std::ofstream(dir_ / "config.json")
      << R"({"architectures": ["BlipModel"], "model_type": "blip"})";
  std::string message = LoadError(dir_.path());
  EXPECT_NE(message.find("unsupported architecture BlipModel"), std::string::npos) << message;
  EXPECT_NE(message.find("supported: CLIPModel"), std::string::npos) << message;
}

TEST_F(ModelErrorTest, MissingConfig) {
  CopyModel(fixture_, dir_.path());
  fs::remove(dir_ / "config.json");
  std::string message = LoadError(dir_.path());
  EXPECT_NE(message.find("config.json' not found"), std::string::npos) << message;
}

TEST_F(ModelErrorTest, MissingCheckpoint) {
  fs::copy_file(fixture_ / "config.json", dir_ / "config.json");
  std::ofstream(dir_ / "pytorch_model.bin") << "pickle";
  std::string message = LoadError(dir_.path());
  EXPECT_NE(message.find("no model.safetensors"), std::string::npos) << message;
}

TEST_F(ModelErrorTest, ConfigDisagreesWithWeights) {
  CopyModel(fixture_, dir_.path());
  std::ifstream input(fixture_ / "config.json");
  nlohmann::json config = nlohmann::json::parse(input);
  config["vision_config"]["intermediate_size"] = 256;
  std::ofstream(dir_ / "config.json") << config.dump();
  std::string message = LoadError(dir_.path());
  EXPECT_NE(message.find("has shape [128, 64], expected [256, 64] from config.json"),
            std::string::npos)
      << message;
}

// F16 and BF16 checkpoints load (converted to float32) and stay close to the
// float32 goldens, within the precision of the stored weights.
TEST_F(ModelErrorTest, HalfPrecisionWeights) {
  testing::GoldenFile goldens(fixture_);
  std::vector<int64_t> ids = goldens.Ints("text_00/input_ids");
  std::vector<int64_t> mask = goldens.Ints("text_00/attention_mask");
  Tensor image = goldens.Floats("image_00/pixel_values");
  for (auto [dtype, tolerance] : {std::pair{DType::kF16, 2e-2}, std::pair{DType::kBF16, 1.5e-1}}) {
    SCOPED_TRACE(DTypeName(dtype));
    TempDir dir;
    CopyModel(fixture_, dir.path(), nullptr, dtype);
    auto model = ClipModel::Load(dir.path(), EngineOptions{.num_threads = 2});
    EXPECT_GT(model->converted_weight_bytes(), 0u);
    Tensor text = model->TextEmbeddings({1, static_cast<int>(ids.size()), ids, mask, {}});
    EXPECT_LE(testing::MaxAbsDiff(text, goldens.Floats("text_00/text_embeds")), tolerance);
    Tensor embeds = model->ImageEmbeddings(image.values, 1);
    EXPECT_LE(testing::MaxAbsDiff(embeds, goldens.Floats("image_00/image_embeds")), tolerance);
  }
}

TEST_F(ModelErrorTest, BadInputsKeepModelUsable) {
  auto model = ClipModel::Load(fixture_, EngineOptions{.num_threads = 2});
  std::vector<int64_t> ids = {49406, 320, 49407};
  std::vector<int64_t> bad_ids = {49406, 49408, 49407};
  std::vector<int64_t> bad_mask = {1, 2, 1};
  EXPECT_THROW(model->EmbedTexts({1, 3, bad_ids, {}, {}}), ModelError);
  EXPECT_THROW(model->EmbedTexts({1, 3, ids, bad_mask, {}}), ModelError);
  EXPECT_THROW(model->EmbedTexts({2, 3, ids, {}, {}}), ModelError);
  std::vector<int64_t> too_long(78, 320);
  EXPECT_THROW(model->EmbedTexts({1, 78, too_long, {}, {}}), ModelError);
  std::vector<float> pixels(3 * 224 * 224 - 1);
  EXPECT_THROW(model->EmbedImages(pixels, 1), ModelError);
  EXPECT_THROW(model->EmbedImages({}, 0), ModelError);

  Tensor text = model->EmbedTexts({1, 3, ids, {}, {}});
  EXPECT_EQ(text.shape, (std::vector<int64_t>{1, 48}));
  pixels.push_back(0.0f);
  EXPECT_EQ(model->EmbedImages(pixels, 1).shape, (std::vector<int64_t>{1, 48}));
}

TEST_F(ModelErrorTest, LoaderReportsInfo) {
  auto model = LoadEmbeddingModel(fixture_, EngineOptions{});
  EXPECT_EQ(model->info().family, "clip");
  EXPECT_EQ(model->embedding_dim(), 48);
  EXPECT_EQ(model->info().image_size, 224);
  EXPECT_EQ(model->info().max_text_length, 77);
  EXPECT_TRUE(model->Supports(Modality::kImage));
  EXPECT_TRUE(model->Supports(Modality::kText));
  EXPECT_FALSE(model->Supports(Modality::kAudio));
  EXPECT_THROW(model->EmbedAudio({}, 1), ModelError);
}

}  // namespace
}  // namespace msearch::inference
