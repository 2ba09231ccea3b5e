#include "inference/clip_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "inference/bert_text_encoder.h"
#include "inference/clip_text_transformer.h"
#include "inference/linear.h"
#include "inference/model_error.h"

namespace msearch::inference {
namespace {

std::filesystem::path CheckpointPath(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "model.safetensors";
  if (std::filesystem::exists(path)) return path;
  if (std::filesystem::exists(dir / "model.safetensors.index.json")) {
    throw ModelError(fmt::format(
        "'{}' contains a sharded checkpoint (model.safetensors.index.json); msearch reads a single "
        "model.safetensors file",
        dir.string()));
  }
  if (std::filesystem::exists(dir / "pytorch_model.bin")) {
    throw ModelError(fmt::format(
        "'{}' has pytorch_model.bin but no model.safetensors; msearch reads only safetensors, so "
        "convert the checkpoint or download its safetensors version",
        dir.string()));
  }
  throw ModelError(
      fmt::format("'{}' not found: a model folder needs config.json and "
                  "model.safetensors in the Hugging Face layout",
                  path.string()));
}

// Copies the first `length` tokens of every text of `batch` into `storage`.
TextBatch CutBatch(const TextBatch& batch, int length, std::vector<int64_t>& storage) {
  const size_t count = static_cast<size_t>(batch.batch_size) * length;
  const std::span<const int64_t> sources[] = {batch.input_ids, batch.attention_mask,
                                              batch.token_type_ids};
  storage.assign(3 * count, 0);
  std::span<const int64_t> cut[3];
  for (int k = 0; k < 3; ++k) {
    if (sources[k].empty()) continue;
    int64_t* out = storage.data() + k * count;
    for (int text = 0; text < batch.batch_size; ++text) {
      std::copy_n(sources[k].data() + static_cast<size_t>(text) * batch.sequence_length, length,
                  out + static_cast<size_t>(text) * length);
    }
    cut[k] = {out, count};
  }
  return TextBatch{batch.batch_size, length, cut[0], cut[1], cut[2]};
}

}  // namespace

std::unique_ptr<ClipModel> ClipModel::Load(const std::filesystem::path& dir,
                                           const EngineOptions& options) {
  const double start = MonotonicSeconds();
  ModelConfig config = LoadModelConfig(dir);
  auto file = std::make_shared<const SafetensorsFile>(CheckpointPath(dir));
  std::unique_ptr<ClipModel> model(new ClipModel(dir, options, std::move(config), std::move(file)));
  const gemm::MicroKernel* kernel = gemm::DefaultKernel();
  spdlog::info(
      "loaded {} from '{}' in {:.2f} s: {} threads, projection_dim {}, {} MB converted, GEMM {} "
      "({} MB packed)",
      ArchitectureName(model->config_.architecture), dir.string(), MonotonicSeconds() - start,
      model->num_threads(), model->config_.projection_dim, model->weights_.converted_bytes() >> 20,
      kernel != nullptr ? kernel->name : "OpenBLAS", model->weights_.packed_bytes() >> 20);
  return model;
}

ClipModel::ClipModel(const std::filesystem::path& dir, const EngineOptions& options,
                     ModelConfig config, std::shared_ptr<const SafetensorsFile> file)
    : config_(std::move(config)), weights_(std::move(file)), pool_(options.num_threads) {
  UseSingleThreadedBlas();
  vision_ = std::make_unique<VisionTransformer>(weights_, config_.vision, config_.projection_dim);
  if (config_.architecture == Architecture::kClip) {
    text_ =
        std::make_unique<ClipTextTransformer>(weights_, config_.clip_text, config_.projection_dim);
  } else {
    text_ = std::make_unique<BertTextEncoder>(weights_, config_.bert_text, config_.projection_dim);
  }
  logit_scale_ = weights_.Scalar("logit_scale");
  if (size_t unused = weights_.CountUnused(); unused > 0) {
    spdlog::debug("'{}': {} tensors of the checkpoint are not used (buffers such as position_ids)",
                  dir.string(), unused);
  }
  info_.family = std::string(ModelTypeName(config_.architecture));
  info_.modalities = {Modality::kText, Modality::kImage};
  info_.embedding_dim = config_.projection_dim;
  info_.image_size = config_.vision.image_size;
  info_.max_text_length = text_->max_positions();
}

VisionOutputs ClipModel::EncodeImages(std::span<const float> pixel_values, int batch,
                                      bool with_hidden_states) {
  std::lock_guard lock(mutex_);
  UseSingleThreadedBlas();
  VisionOutputs outputs;
  vision_->Forward(pool_, pixel_values, batch, with_hidden_states, outputs);
  return outputs;
}

TextOutputs ClipModel::EncodeTexts(const TextBatch& batch, bool with_hidden_states) {
  std::lock_guard lock(mutex_);
  UseSingleThreadedBlas();
  TextOutputs outputs;
  text_->Forward(pool_, batch, with_hidden_states, outputs);
  return outputs;
}

Tensor ClipModel::ImageEmbeddings(std::span<const float> pixel_values, int batch) {
  return std::move(EncodeImages(pixel_values, batch, false).image_embeds);
}

Tensor ClipModel::TextEmbeddings(const TextBatch& batch) {
  ValidateTextBatch(batch, std::numeric_limits<int>::max(), text_->max_positions(),
                    std::numeric_limits<int>::max());
  const int length = text_->EffectiveLength(batch);
  if (length == batch.sequence_length) return std::move(EncodeTexts(batch, false).text_embeds);
  std::vector<int64_t> storage;
  return std::move(EncodeTexts(CutBatch(batch, length, storage), false).text_embeds);
}

Tensor ClipModel::EmbedImages(std::span<const float> pixel_values, int batch) {
  Tensor embeddings = ImageEmbeddings(pixel_values, batch);
  L2NormalizeRows(embeddings);
  return embeddings;
}

Tensor ClipModel::EmbedTexts(const TextBatch& batch) {
  Tensor embeddings = TextEmbeddings(batch);
  L2NormalizeRows(embeddings);
  return embeddings;
}

float ClipModel::logit_scale_exp() const { return std::exp(logit_scale_); }

}  // namespace msearch::inference
