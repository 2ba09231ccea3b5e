#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "inference/embedding_model.h"
#include "preprocess/image_processor.h"
#include "tokenizer/tokenizer.h"

namespace msearch::embedding {

// One vector of an audio waveform, with the span it covers.
struct AudioVector {
  double start_seconds = 0;
  double end_seconds = 0;
  std::vector<float> vector;
};

// A model with its tokenizer and image pre-processing, loaded from one
// checkpoint folder: turns texts, images and waveforms into L2-normalised
// vectors of the model's embedding space, as the reference pipeline does
// (tokenizer with the reference context length, image processor, model).
// Thread-safe: calls are serialised inside the model.
class Encoder {
 public:
  // Loads `dir`. Throws inference::ModelError, tokenizer::TokenizerError or
  // preprocess::PreprocessError naming the file at fault.
  static std::unique_ptr<Encoder> Load(const std::filesystem::path& dir, int threads);

  const inference::ModelInfo& info() const { return model_->info(); }
  const std::filesystem::path& dir() const { return dir_; }
  bool Supports(inference::Modality modality) const { return model_->Supports(modality); }
  // Tokens per text given to the model: the context length its reference
  // code uses (77 for CLIP and CLAP, 52 for Chinese-CLIP), never more than its
  // text tower's positions.
  int text_context_length() const { return text_context_length_; }

  // One vector per text, in order.
  std::vector<std::vector<float>> EncodeTexts(std::span<const std::string> texts);
  // One vector per image file, in order. Throws PreprocessError naming a
  // file that cannot be decoded.
  std::vector<std::vector<float>> EncodeImageFiles(std::span<const std::filesystem::path> files);
  // One vector per decoded RGB image (rows top to bottom, 3 bytes a pixel).
  std::vector<std::vector<float>> EncodeImages(std::span<const preprocess::RgbImage> images);
  // Vectors of a mono waveform at info().audio_sample_rate, one per window.
  std::vector<AudioVector> EncodeWaveform(std::span<const float> samples);

 private:
  Encoder() = default;

  std::filesystem::path dir_;
  std::unique_ptr<inference::EmbeddingModel> model_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<preprocess::ImageProcessor> image_processor_;
  int text_context_length_ = 0;
};

}  // namespace msearch::embedding
