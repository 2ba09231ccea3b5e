#include "models/checkpoint_check.h"

#include <algorithm>
#include <array>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "inference/model_config.h"
#include "inference/model_error.h"
#include "inference/safetensors.h"

namespace msearch::models {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, 9> kCheckpointFiles = {"config.json",
                                                              "model.safetensors",
                                                              "preprocessor_config.json",
                                                              "tokenizer_config.json",
                                                              "special_tokens_map.json",
                                                              "vocab.json",
                                                              "merges.txt",
                                                              "vocab.txt",
                                                              "added_tokens.json"};

bool IsFile(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);
}

nlohmann::json ReadJsonObject(const fs::path& path) {
  std::ifstream stream(path);
  if (!stream) throw Error(fmt::format("cannot read '{}'", path.string()));
  nlohmann::json document = nlohmann::json::parse(stream, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    throw Error(fmt::format("'{}' is not a valid JSON object", path.string()));
  }
  return document;
}

// The family named by config.json: the first entry of `architectures`, else
// `model_type`.
ModelFamily DetectFamily(const fs::path& config_path) {
  nlohmann::json document = ReadJsonObject(config_path);
  std::string architecture;
  if (document.contains("architectures") && document["architectures"].is_array() &&
      !document["architectures"].empty() && document["architectures"][0].is_string()) {
    architecture = document["architectures"][0].get<std::string>();
  }
  std::string model_type = document.value("model_type", "");
  if (architecture == "CLIPModel" || (architecture.empty() && model_type == "clip")) {
    return ModelFamily::kClip;
  }
  if (architecture == "ChineseCLIPModel" ||
      (architecture.empty() && model_type == "chinese_clip")) {
    return ModelFamily::kChineseClip;
  }
  if (architecture == "ClapModel" || (architecture.empty() && model_type == "clap")) {
    return ModelFamily::kClap;
  }
  throw Error(fmt::format(
      "'{}': architecture '{}' (model_type '{}') is not supported; supported are CLIPModel, "
      "ChineseCLIPModel and ClapModel",
      config_path.string(), architecture, model_type));
}

void CheckClapConfig(const fs::path& config_path) {
  nlohmann::json document = ReadJsonObject(config_path);
  for (const char* key : {"text_config", "audio_config"}) {
    if (!document.contains(key) || !document[key].is_object()) {
      throw Error(
          fmt::format("'{}': '{}' is missing or not an object; a CLAP config.json has both "
                      "text_config and audio_config",
                      config_path.string(), key));
    }
  }
  if (document.contains("projection_dim") && !document["projection_dim"].is_number_integer()) {
    throw Error(fmt::format("'{}': projection_dim must be an integer, got {}", config_path.string(),
                            document["projection_dim"].dump()));
  }
}

void CheckWeights(const fs::path& dir) {
  fs::path weights = dir / "model.safetensors";
  if (!IsFile(weights)) {
    if (IsFile(dir / "pytorch_model.bin")) {
      throw Error(fmt::format(
          "'{}' has only PyTorch weights (pytorch_model.bin), which msearch does not read; "
          "convert them with Python: transformers.AutoModel.from_pretrained(DIR)"
          ".save_pretrained(DIR, safe_serialization=True), then import the folder again",
          dir.string()));
    }
    if (IsFile(dir / "model.safetensors.index.json")) {
      // NOTE: sharded checkpoints are rejected; the embedding models msearch
      // uses are small enough to ship as one file.
      throw Error(fmt::format(
          "'{}' has sharded weights (model.safetensors.index.json); msearch reads a single "
          "model.safetensors file",
          dir.string()));
    }
    throw Error(fmt::format("missing weights file '{}'", weights.string()));
  }
  try {
    inference::SafetensorsFile file(weights);
    if (file.tensors().empty()) {
      throw Error(fmt::format("'{}' contains no tensors", weights.string()));
    }
  } catch (const inference::ModelError& error) {
    throw Error(fmt::format("invalid weights file: {}", error.what()));
  }
}

}  // namespace

std::string_view FamilyName(ModelFamily family) {
  switch (family) {
    case ModelFamily::kClip:
      return "clip";
    case ModelFamily::kChineseClip:
      return "chinese_clip";
    case ModelFamily::kClap:
      return "clap";
  }
  return "unknown";
}

std::vector<std::string> FamilyModalities(ModelFamily family) {
  if (family == ModelFamily::kClap) return {"audio", "text"};
  return {"image", "text"};
}

std::vector<std::string> RequiredFamilyFiles(ModelFamily family) {
  switch (family) {
    case ModelFamily::kClip:
    case ModelFamily::kClap:
      // Byte-level BPE tokenizers (CLIP, RoBERTa).
      return {"vocab.json", "merges.txt", "preprocessor_config.json"};
    case ModelFamily::kChineseClip:
      // A WordPiece (BERT) tokenizer.
      return {"vocab.txt", "preprocessor_config.json"};
  }
  return {};
}

bool IsCheckpointFile(std::string_view name) {
  return std::find(kCheckpointFiles.begin(), kCheckpointFiles.end(), name) !=
         kCheckpointFiles.end();
}

ModelFamily CheckCheckpoint(const fs::path& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    throw Error(fmt::format("model folder '{}' does not exist or is not a folder", dir.string()));
  }
  fs::path config_path = dir / "config.json";
  if (!IsFile(config_path)) {
    throw Error(fmt::format("missing '{}': a model folder needs the config.json of its checkpoint",
                            config_path.string()));
  }
  ModelFamily family = DetectFamily(config_path);
  if (family == ModelFamily::kClap) {
    CheckClapConfig(config_path);
  } else {
    try {
      inference::LoadModelConfig(dir);
    } catch (const inference::ModelError& model_error) {
      throw Error(fmt::format("invalid config.json: {}", model_error.what()));
    }
  }
  CheckWeights(dir);
  for (const std::string& name : RequiredFamilyFiles(family)) {
    if (!IsFile(dir / name)) {
      throw Error(
          fmt::format("missing '{}': a {} model needs it for its tokenizer or "
                      "preprocessing",
                      (dir / name).string(), FamilyName(family)));
    }
  }
  return family;
}

}  // namespace msearch::models
