#include "embedding/encoder.h"

#include <algorithm>

#include <fmt/format.h>

#include "inference/model_error.h"
#include "inference/model_loader.h"
#include "preprocess/image_decode.h"
#include "tokenizer/tokenizer_factory.h"

namespace msearch::embedding {
namespace {

// The context lengths the reference code of each family tokenises to:
// OpenAI CLIP and LAION-CLAP 77 tokens, the original Chinese-CLIP 52.
int ReferenceContextLength(const std::string& family) {
  if (family == "chinese_clip") return 52;
  return 77;
}

std::vector<std::vector<float>> Rows(const inference::Tensor& tensor) {
  std::vector<std::vector<float>> rows;
  int64_t count = tensor.shape.empty() ? 0 : tensor.shape[0];
  rows.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    std::span<const float> row = tensor.row(i);
    rows.emplace_back(row.begin(), row.end());
  }
  return rows;
}

}  // namespace

std::unique_ptr<Encoder> Encoder::Load(const std::filesystem::path& dir, int threads) {
  std::unique_ptr<Encoder> encoder(new Encoder());
  encoder->dir_ = dir;
  inference::EngineOptions options;
  options.num_threads = std::max(1, threads);
  encoder->model_ = inference::LoadEmbeddingModel(dir, options);
  const inference::ModelInfo& info = encoder->model_->info();
  if (encoder->model_->Supports(inference::Modality::kText)) {
    encoder->tokenizer_ = tokenizer::LoadTokenizer(dir);
    encoder->text_context_length_ =
        std::min({ReferenceContextLength(info.family), info.max_text_length,
                  encoder->tokenizer_->model_max_length()});
  }
  if (encoder->model_->Supports(inference::Modality::kImage)) {
    encoder->image_processor_ =
        std::make_unique<preprocess::ImageProcessor>(preprocess::ImageProcessor::Load(dir));
  }
  return encoder;
}

std::vector<std::vector<float>> Encoder::EncodeTexts(std::span<const std::string> texts) {
  if (!tokenizer_) {
    throw inference::ModelError(
        fmt::format("model '{}' ({}) does not embed text", dir_.string(), info().family));
  }
  if (texts.empty()) return {};
  // Padding to the longest text in the batch, not to the context length:
  // padded positions are masked, so the vectors are the same and shorter
  // batches are faster.
  std::vector<tokenizer::Encoding> encodings;
  int longest = 1;
  for (const std::string& text : texts) {
    encodings.push_back(tokenizer_->EncodeForModel(text, text_context_length_));
    int used = static_cast<int>(std::count(encodings.back().attention_mask.begin(),
                                           encodings.back().attention_mask.end(), 1));
    longest = std::max(longest, used);
  }
  const size_t width = static_cast<size_t>(longest);
  std::vector<int64_t> ids(texts.size() * width);
  std::vector<int64_t> mask(texts.size() * width);
  for (size_t i = 0; i < encodings.size(); ++i) {
    for (size_t j = 0; j < width; ++j) {
      ids[i * width + j] = encodings[i].input_ids[j];
      mask[i * width + j] = encodings[i].attention_mask[j];
    }
  }
  inference::TextBatch batch;
  batch.batch_size = static_cast<int>(texts.size());
  batch.sequence_length = longest;
  batch.input_ids = ids;
  batch.attention_mask = mask;
  return Rows(model_->EmbedTexts(batch));
}

std::vector<std::vector<float>> Encoder::EncodeImages(
    std::span<const preprocess::RgbImage> images) {
  if (!image_processor_) {
    throw inference::ModelError(
        fmt::format("model '{}' ({}) does not embed images", dir_.string(), info().family));
  }
  if (images.empty()) return {};
  const size_t plane = static_cast<size_t>(3) * info().image_size * info().image_size;
  std::vector<float> pixels;
  pixels.reserve(plane * images.size());
  for (const preprocess::RgbImage& image : images) {
    preprocess::PixelValues values = image_processor_->Process(image);
    if (values.data.size() != plane) {
      throw inference::ModelError(fmt::format(
          "preprocessor_config.json of '{}' makes {}x{} pixel values, but the model takes {}x{}",
          dir_.string(), values.width, values.height, info().image_size, info().image_size));
    }
    pixels.insert(pixels.end(), values.data.begin(), values.data.end());
  }
  return Rows(model_->EmbedImages(pixels, static_cast<int>(images.size())));
}

std::vector<std::vector<float>> Encoder::EncodeImageFiles(
    std::span<const std::filesystem::path> files) {
  std::vector<preprocess::RgbImage> images;
  images.reserve(files.size());
  for (const std::filesystem::path& file : files) {
    images.push_back(preprocess::DecodeRgbImage(file));
  }
  return EncodeImages(images);
}

std::vector<AudioVector> Encoder::EncodeWaveform(std::span<const float> samples) {
  inference::WaveformEmbeddings embeddings =
      model_->EmbedWaveform(samples, info().audio_sample_rate);
  std::vector<std::vector<float>> rows = Rows(embeddings.embeddings);
  std::vector<AudioVector> vectors;
  for (size_t i = 0; i < rows.size() && i < embeddings.segments.size(); ++i) {
    vectors.push_back({embeddings.segments[i].start_seconds, embeddings.segments[i].end_seconds,
                       std::move(rows[i])});
  }
  return vectors;
}

}  // namespace msearch::embedding
