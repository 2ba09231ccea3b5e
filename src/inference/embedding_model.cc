#include "inference/embedding_model.h"

#include <algorithm>

#include <fmt/format.h>

#include "inference/kernels.h"
#include "inference/model_error.h"

namespace msearch::inference {

bool EmbeddingModel::Supports(Modality modality) const {
  const std::vector<Modality>& modalities = info().modalities;
  return std::find(modalities.begin(), modalities.end(), modality) != modalities.end();
}

Tensor EmbeddingModel::EmbedImages(std::span<const float> /*pixel_values*/, int /*batch*/) {
  throw ModelError(fmt::format("model family '{}' does not embed images", info().family));
}

Tensor EmbeddingModel::EmbedTexts(const TextBatch& /*batch*/) {
  throw ModelError(fmt::format("model family '{}' does not embed text", info().family));
}

Tensor EmbeddingModel::EmbedAudio(std::span<const float> /*features*/, int /*batch*/) {
  throw ModelError(fmt::format("model family '{}' does not embed audio", info().family));
}

WaveformEmbeddings EmbeddingModel::EmbedWaveform(std::span<const float> /*samples*/,
                                                 int /*sample_rate*/) {
  throw ModelError(fmt::format("model family '{}' does not embed audio", info().family));
}

void L2NormalizeRows(Tensor& embeddings) {
  if (embeddings.shape.empty()) return;
  for (int64_t row = 0; row < embeddings.shape[0]; ++row) {
    std::span<float> values = embeddings.row(row);
    L2NormalizeRow(values.data(), static_cast<int>(values.size()));
  }
}

}  // namespace msearch::inference
