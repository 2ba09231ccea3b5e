// msearch embed --model M (--text T | --image FILE | --audio FILE)...: runs a
// model in this process and prints one embedding vector per input.

#include <algorithm>
#include <iostream>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/console.h"
#include "common/clock.h"
#include "common/error.h"
#include "config/config_loader.h"
#include "embedding/audio_chunks.h"
#include "embedding/encoder.h"
#include "media/audio_decode.h"
#include "media/init.h"
#include "media/media_kind.h"
#include "models/model_name.h"

namespace msearch::cli {
namespace {

// One input in command-line order. A folder expands into its files.
struct EmbedInput {
  std::string kind;  // text, image or audio
  std::string value;
};

struct EmbedOptions {
  std::string model;
  std::vector<std::string> texts;
  std::vector<std::string> images;
  std::vector<std::string> audios;
  std::vector<EmbedInput> inputs;  // all of the above, in command-line order
  int batch = 16;
  int threads = 0;
};

// Resolves --model: a checkpoint folder, else the name of an installed model.
std::filesystem::path ResolveModel(const std::string& model, const config::Config& config) {
  if (std::filesystem::is_directory(model)) return model;
  std::filesystem::path installed = config.models.dir / models::StoreName(model);
  if (std::filesystem::is_directory(installed)) return installed;
  throw Error(
      fmt::format("model '{}' is neither a checkpoint folder nor installed in {}; install it with "
                  "'msearch models pull {}' or 'msearch models import DIR'",
                  model, config.models.dir.string(), model));
}

// Expands folders into the files of `kind` inside them, sorted by path.
std::vector<EmbedInput> ExpandFolders(const std::vector<EmbedInput>& inputs) {
  std::vector<EmbedInput> expanded;
  for (const EmbedInput& input : inputs) {
    if (input.kind == "text" || !std::filesystem::is_directory(input.value)) {
      expanded.push_back(input);
      continue;
    }
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(input.value)) {
      if (!entry.is_regular_file()) continue;
      std::optional<std::string> kind = media::KindForExtension(entry.path().extension().string());
      if (kind == input.kind) files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      throw Error(fmt::format("folder '{}' has no {} files", input.value, input.kind));
    }
    for (std::string& file : files) expanded.push_back({input.kind, std::move(file)});
  }
  return expanded;
}

nlohmann::json VectorJson(const std::vector<float>& vector) {
  nlohmann::json values = nlohmann::json::array();
  for (float value : vector) values.push_back(value);
  return values;
}

// Embeds `inputs` (all of one kind, text or image) as one batch and appends
// one result per input.
void EmbedBatch(embedding::Encoder& encoder, const std::vector<const EmbedInput*>& inputs,
                nlohmann::json* results) {
  if (inputs.empty()) return;
  const std::string& kind = inputs.front()->kind;
  double started = MonotonicSeconds();
  std::vector<std::vector<float>> vectors;
  if (kind == "text") {
    std::vector<std::string> texts;
    for (const EmbedInput* input : inputs) texts.push_back(input->value);
    vectors = encoder.EncodeTexts(texts);
  } else {
    std::vector<std::filesystem::path> files;
    for (const EmbedInput* input : inputs) files.emplace_back(input->value);
    vectors = encoder.EncodeImageFiles(files);
  }
  double seconds = (MonotonicSeconds() - started) / static_cast<double>(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    results->push_back({{"kind", kind},
                        {"input", inputs[i]->value},
                        {"seconds", seconds},
                        {"vector", VectorJson(vectors[i])}});
  }
}

// Embeds the audio track of `input` chunk by chunk as it decodes, with the
// same chunks as the embedding worker, and appends one result per window.
void EmbedAudio(embedding::Encoder& encoder, const EmbedInput& input, nlohmann::json* results) {
  double started = MonotonicSeconds();
  embedding::ChunkedAudioEncoder chunks(encoder);
  media::AudioDecodeOptions decode;
  decode.sample_rate = encoder.info().audio_sample_rate;
  media::DecodeAudio(input.value, decode, [&](std::span<const float> samples) {
    chunks.Append(samples);
    return true;
  });
  std::vector<embedding::AudioVector> windows = chunks.Finish();
  double seconds = MonotonicSeconds() - started;
  for (const embedding::AudioVector& window : windows) {
    results->push_back({{"kind", "audio"},
                        {"input", input.value},
                        {"start", window.start_seconds},
                        {"end", window.end_seconds},
                        {"seconds", seconds / static_cast<double>(windows.size())},
                        {"vector", VectorJson(window.vector)}});
  }
}

int RunEmbed(const GlobalOptions& global, const EmbedOptions& options) {
  if (options.inputs.empty()) {
    throw Error("nothing to embed: give at least one --text, --image or --audio");
  }
  config::Config config = config::LoadConfig(global.config_path);
  std::filesystem::path model_dir = ResolveModel(options.model, config);
  int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  std::vector<EmbedInput> inputs = ExpandFolders(options.inputs);
  media::EnsureMediaInitialized();

  double started = MonotonicSeconds();
  std::unique_ptr<embedding::Encoder> encoder = embedding::Encoder::Load(model_dir, threads);
  double loaded = MonotonicSeconds();
  for (const EmbedInput& input : inputs) {
    inference::Modality modality = input.kind == "text"    ? inference::Modality::kText
                                   : input.kind == "image" ? inference::Modality::kImage
                                                           : inference::Modality::kAudio;
    if (!encoder->Supports(modality)) {
      throw Error(fmt::format("model '{}' ({}) does not embed {}; use a model of another family",
                              model_dir.string(), encoder->info().family, input.kind));
    }
  }

  // Consecutive texts or images share a batch; results keep input order.
  nlohmann::json results = nlohmann::json::array();
  std::vector<const EmbedInput*> batch;
  auto flush = [&] {
    EmbedBatch(*encoder, batch, &results);
    batch.clear();
  };
  for (const EmbedInput& input : inputs) {
    if (!batch.empty() &&
        (batch.front()->kind != input.kind || static_cast<int>(batch.size()) >= options.batch)) {
      flush();
    }
    if (input.kind == "audio") {
      EmbedAudio(*encoder, input, &results);
    } else {
      batch.push_back(&input);
    }
  }
  flush();

  const inference::ModelInfo& info = encoder->info();
  if (global.json) {
    PrintJson({{"model", model_dir.string()},
               {"family", info.family},
               {"dimension", info.embedding_dim},
               {"threads", threads},
               {"load_seconds", loaded - started},
               {"embed_seconds", MonotonicSeconds() - loaded},
               {"embeddings", results}});
    return 0;
  }
  std::cout << fmt::format("model {} ({}, {} dimensions), loaded in {:.2f} s, {} threads\n",
                           model_dir.string(), info.family, info.embedding_dim, loaded - started,
                           threads);
  for (const auto& result : results) {
    std::vector<float> vector = result["vector"].get<std::vector<float>>();
    std::string head;
    for (size_t i = 0; i < std::min<size_t>(4, vector.size()); ++i) {
      head += fmt::format("{:+.4f} ", vector[i]);
    }
    std::string span;
    if (result.contains("start")) {
      span = fmt::format(" [{:.1f}-{:.1f} s]", result["start"].get<double>(),
                         result["end"].get<double>());
    }
    std::cout << fmt::format("{:<5} {}{}  [{}...]  {:.1f} ms\n", result["kind"].get<std::string>(),
                             result["input"].get<std::string>(), span, head,
                             result["seconds"].get<double>() * 1000);
  }
  return 0;
}

}  // namespace

void RegisterEmbed(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto options = std::make_shared<EmbedOptions>();
  auto* command = app.add_subcommand(
      "embed",
      "Print the embedding vector of each input with a model, in this process (inputs may repeat; "
      "a folder embeds every file of that kind in it)");
  command->add_option("--model", options->model, "Checkpoint folder or installed model name")
      ->required();
  // Each occurrence takes one value; the callback rebuilds the command-line
  // order from CLI11's parse order, since option values are grouped by name.
  CLI::Option* text =
      command->add_option("--text", options->texts, "A text to embed")->allow_extra_args(false);
  CLI::Option* image =
      command->add_option("--image", options->images, "An image file or a folder of images")
          ->allow_extra_args(false);
  CLI::Option* audio =
      command->add_option("--audio", options->audios, "An audio file, or a folder of audio files")
          ->allow_extra_args(false);
  command->add_option("--batch", options->batch, "Inputs per model call")
      ->check(CLI::Range(1, 1024));
  command->add_option("--threads", options->threads, "Threads (default: one per CPU core)")
      ->check(CLI::Range(0, 1024));
  command->add_flag("--json", global.json, "Print JSON with the full vectors");
  command->callback([&global, options, exit_code, command, text, image, audio] {
    size_t next_text = 0;
    size_t next_image = 0;
    size_t next_audio = 0;
    for (const CLI::Option* option : command->parse_order()) {
      if (option == text && next_text < options->texts.size()) {
        options->inputs.push_back({"text", options->texts[next_text++]});
      } else if (option == image && next_image < options->images.size()) {
        options->inputs.push_back({"image", options->images[next_image++]});
      } else if (option == audio && next_audio < options->audios.size()) {
        options->inputs.push_back({"audio", options->audios[next_audio++]});
      }
    }
    *exit_code = RunEmbed(global, *options);
  });
}

}  // namespace msearch::cli
