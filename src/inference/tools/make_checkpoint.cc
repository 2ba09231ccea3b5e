// msearch_make_checkpoint: writes a random-weight CLIP, Chinese-CLIP or CLAP
// checkpoint in the Hugging Face layout at the size of a released model, for
// benchmarks and memory tests. The weights carry no meaning.
//
//   msearch_make_checkpoint --preset clip-vit-b32 --output DIR
//       [--seed N] [--dtype f32|f16|bf16] [--tokenizer-from FIXTURE_DIR]
//   msearch_make_checkpoint --config config.json --output DIR

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "inference/checkpoint_layout.h"
#include "inference/dtype.h"
#include "inference/model_config.h"
#include "inference/random_checkpoint.h"

namespace {

namespace fs = std::filesystem;
using namespace msearch::inference;

// Tokenizer and preprocessor files of the Hugging Face layout.
constexpr const char* kSideFiles[] = {
    "vocab.json",
    "merges.txt",
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "preprocessor_config.json",
};

int Run(int argc, char** argv) {
  CLI::App app{"Write a random-weight checkpoint in the Hugging Face layout"};
  std::string preset;
  std::string config_file;
  std::string output;
  std::string dtype_name = "f32";
  std::string tokenizer_from;
  uint64_t seed = 1;
  auto* preset_option = app.add_option(
      "--preset", preset, "model size: " + fmt::format("{}", fmt::join(PresetNames(), ", ")));
  auto* config_option = app.add_option("--config", config_file,
                                       "config.json describing the model instead of a preset");
  preset_option->excludes(config_option);
  app.add_option("--output", output, "folder to write config.json and model.safetensors into")
      ->required();
  app.add_option("--seed", seed, "seed of the random weights");
  app.add_option("--dtype", dtype_name, "storage type of float tensors: f32, f16 or bf16");
  app.add_option("--tokenizer-from", tokenizer_from,
                 "folder to copy tokenizer and preprocessor files from (e.g. a fixture model)");
  CLI11_PARSE(app, argc, argv);

  if (preset.empty() == config_file.empty()) {
    std::fprintf(stderr,
                 "msearch_make_checkpoint: exactly one of --preset and --config is required\n");
    return 2;
  }
  DType dtype = DType::kF32;
  if (dtype_name == "f16") {
    dtype = DType::kF16;
  } else if (dtype_name == "bf16") {
    dtype = DType::kBF16;
  } else if (dtype_name != "f32") {
    std::fprintf(stderr, "msearch_make_checkpoint: --dtype is '%s', expected f32, f16 or bf16\n",
                 dtype_name.c_str());
    return 2;
  }

  ModelConfig config;
  if (!preset.empty()) {
    config = PresetConfig(preset);
  } else {
    std::ifstream file(config_file);
    if (!file) {
      std::fprintf(stderr, "msearch_make_checkpoint: cannot read '%s'\n", config_file.c_str());
      return 1;
    }
    std::stringstream text;
    text << file.rdbuf();
    nlohmann::json document =
        nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded()) {
      std::fprintf(stderr, "msearch_make_checkpoint: '%s' is not valid JSON\n",
                   config_file.c_str());
      return 1;
    }
    config = ParseModelConfig(document, "'" + config_file + "'");
  }
  WriteRandomCheckpoint(output, config, seed, dtype);

  if (!tokenizer_from.empty()) {
    int copied = 0;
    for (const char* name : kSideFiles) {
      const fs::path source = fs::path(tokenizer_from) / name;
      if (!fs::exists(source)) continue;
      const fs::path target = fs::path(output) / name;
      // Fixture files are read-only; the copies should be replaceable.
      fs::remove(target);
      fs::copy_file(source, target);
      fs::permissions(target, fs::perms::owner_write, fs::perm_options::add);
      ++copied;
    }
    if (copied == 0) {
      std::fprintf(stderr, "msearch_make_checkpoint: no tokenizer files found in '%s'\n",
                   tokenizer_from.c_str());
      return 1;
    }
  }
  std::printf("wrote %s (%s, %s weights, seed %llu)\n", output.c_str(),
              std::string(ArchitectureName(config.architecture)).c_str(), dtype_name.c_str(),
              static_cast<unsigned long long>(seed));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const msearch::Error& error) {
    std::fprintf(stderr, "msearch_make_checkpoint: %s\n", error.what());
    return 1;
  } catch (const fs::filesystem_error& error) {
    std::fprintf(stderr, "msearch_make_checkpoint: %s\n", error.what());
    return 1;
  }
}
