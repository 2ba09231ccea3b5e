#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace msearch::models {

// The model families msearch can embed with.
enum class ModelFamily {
  kClip,         // CLIPModel: images and English text
  kChineseClip,  // ChineseCLIPModel: images and Chinese text
  kClap,         // ClapModel: audio and English text
};

// "clip", "chinese_clip" or "clap": the model_type in config.json.
std::string_view FamilyName(ModelFamily family);

// The modalities a family embeds: "image", "text", "audio".
std::vector<std::string> FamilyModalities(ModelFamily family);

// The files a checkpoint folder of `family` must contain besides config.json
// and model.safetensors: tokenizer vocabulary files and preprocessor_config.json.
std::vector<std::string> RequiredFamilyFiles(ModelFamily family);

// True for the file names a checkpoint may need: config.json, model.safetensors,
// tokenizer and preprocessor files. Other files of a hub repository (other
// weight formats, README.md, images) are never downloaded or copied.
bool IsCheckpointFile(std::string_view name);

// Validates the checkpoint in `dir` and returns its family:
// - config.json parses (src/inference/model_config.h for CLIP and
//   Chinese-CLIP; model_type "clap" with text_config and audio_config for CLAP);
// - model.safetensors exists and its header is valid (every tensor range lies
//   inside the file, so a truncated file fails);
// - the tokenizer and preprocessor files of the family exist.
// Throws msearch::Error whose message names the folder and the file at fault.
// A folder with only pytorch_model.bin fails with a message saying how to
// convert it to safetensors.
ModelFamily CheckCheckpoint(const std::filesystem::path& dir);

}  // namespace msearch::models
