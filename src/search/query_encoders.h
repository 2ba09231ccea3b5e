#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "embedding/encoder.h"
#include "preprocess/rgb_image.h"

namespace msearch::search {

// A model that queries may be encoded with.
struct QueryModel {
  std::string name;           // as configured: a hub id or a store name
  std::string space;          // the embedding space of its vectors (its store name)
  std::filesystem::path dir;  // its folder under models.dir, installed or not
};

// The models of the configuration, by role.
struct QueryModels {
  std::optional<QueryModel> image;  // models.image: images and video frames
  std::vector<QueryModel> text;     // models.text
  std::optional<QueryModel> audio;  // models.audio: audio windows
};

struct QueryEncoderOptions {
  int threads = 1;  // inference threads per model
  // Seconds without queries after which a model is unloaded. 0 keeps models loaded.
  double idle_unload_seconds = 600;
};

// A query turned into one vector of an embedding space.
struct SpaceVector {
  std::string space;
  std::string model;          // QueryModel::name
  std::string family;         // the model's config.json model_type: clip, chinese_clip, clap
  std::vector<float> vector;  // unit length
};

// Query-side encoders of the embedding models. Loads each model the first
// time a query needs it, encodes query texts, images and sounds into the
// spaces the embedding workers fill, and unloads models left idle. A model
// counts as installed when its folder contains config.json and
// model.safetensors. This is checked on every use, so models installed or
// removed while the server runs are picked up.
//
// Thread-safe. The model serialises encoding calls on it, and a model is
// loaded once even when several queries need it at once.
class QueryEncoders {
 public:
  QueryEncoders(QueryModels models, QueryEncoderOptions options);
  ~QueryEncoders();

  QueryEncoders(const QueryEncoders&) = delete;
  QueryEncoders& operator=(const QueryEncoders&) = delete;

  const QueryModels& models() const { return models_; }

  // Encodes `text` with every installed model that embeds text: models.text,
  // then models.image and models.audio, each space once, skipping spaces
  // for which `wanted` (when set) returns false. With `chinese` set, only
  // models whose tokenizer covers Chinese (Chinese-CLIP) are used. Models
  // that are missing or fail to load are skipped, and a message naming the
  // model is appended to `notes`.
  std::vector<SpaceVector> EncodeText(const std::string& text, bool chinese,
                                      const std::function<bool(const std::string&)>& wanted,
                                      std::vector<std::string>* notes);

  bool ImageModelInstalled() const;
  bool AudioModelInstalled() const;

  // Encodes an image file with models.image as the embedding worker does.
  // Throws ModelUnavailableError when the model is missing or does not load,
  // and InvalidQueryError when the file does not decode as an image.
  SpaceVector EncodeImageFile(const std::filesystem::path& path);

  // Encodes each image with models.image and returns the normalised mean of
  // their vectors, as the embedding worker makes a video segment's vector.
  // Throws ModelUnavailableError as EncodeImageFile does, and
  // InvalidQueryError for an empty list.
  SpaceVector EncodeImagesMean(std::span<const preprocess::RgbImage> images);

  // Loads models.audio and returns the sample rate of the waveforms it
  // encodes. Throws ModelUnavailableError when the model is unavailable.
  int AudioSampleRate();

  // Encodes a mono waveform at AudioSampleRate() with models.audio and
  // returns the normalised mean of its window vectors. Throws
  // ModelUnavailableError, or InvalidQueryError for an empty waveform.
  SpaceVector EncodeWaveformMean(std::span<const float> samples);

  // Unloads the models unused for idle_unload_seconds and returns how many.
  // Skips a model whose lock is taken (loading or in use) instead of waiting,
  // so a supervising loop may call it often.
  int UnloadIdle();

  // Store names (spaces) of the models loaded now.
  std::vector<std::string> LoadedModels() const;

 private:
  struct Slot;

  Slot* FindSlot(const std::string& space) const;
  // Returns the loaded encoder of `slot`, loading it if needed. Throws
  // ModelUnavailableError when the model is not installed or fails to load.
  std::shared_ptr<embedding::Encoder> Acquire(Slot& slot);

  const QueryModels models_;
  const QueryEncoderOptions options_;
  std::vector<std::unique_ptr<Slot>> slots_;  // one per space; fixed after construction
};

// Returns true when `dir` contains a checkpoint: config.json and
// model.safetensors.
bool IsModelInstalled(const std::filesystem::path& dir);

// The model_type of the checkpoint in `dir` (its config.json), or an empty
// string when the file is missing or not JSON.
std::string ReadModelFamily(const std::filesystem::path& dir);

// Returns true when models of `family` have a Chinese text vocabulary.
bool FamilyReadsChinese(const std::string& family);

}  // namespace msearch::search
