#include "search/query_encoders.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <system_error>

#include <fmt/format.h>
#include <malloc.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "preprocess/image_decode.h"
#include "preprocess/preprocess_error.h"
#include "search/search_errors.h"

namespace msearch::search {

struct QueryEncoders::Slot {
  QueryModel model;
  std::mutex mutex;  // guards the fields below
  std::shared_ptr<embedding::Encoder> encoder;
  double last_used = 0;  // MonotonicSeconds()
};

namespace {

// Scales the mean of `rows` to unit length. Returns an empty vector when
// the mean is zero.
std::vector<float> NormalizedMean(const std::vector<std::vector<float>>& rows) {
  if (rows.empty()) return {};
  std::vector<double> sum(rows.front().size(), 0.0);
  for (const std::vector<float>& row : rows) {
    for (size_t i = 0; i < sum.size() && i < row.size(); ++i) sum[i] += row[i];
  }
  double norm = 0;
  for (double value : sum) norm += value * value;
  norm = std::sqrt(norm);
  if (!(norm > 0)) return {};
  std::vector<float> mean(sum.size());
  for (size_t i = 0; i < sum.size(); ++i) mean[i] = static_cast<float>(sum[i] / norm);
  return mean;
}

}  // namespace

bool IsModelInstalled(const std::filesystem::path& dir) {
  if (dir.empty()) return false;
  std::error_code error;
  return std::filesystem::is_regular_file(dir / "config.json", error) &&
         std::filesystem::is_regular_file(dir / "model.safetensors", error);
}

std::string ReadModelFamily(const std::filesystem::path& dir) {
  std::ifstream in(dir / "config.json");
  if (!in) return "";
  nlohmann::json config = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object() || !config.contains("model_type") || !config["model_type"].is_string()) {
    return "";
  }
  return config["model_type"].get<std::string>();
}

bool FamilyReadsChinese(const std::string& family) { return family == "chinese_clip"; }

QueryEncoders::QueryEncoders(QueryModels models, QueryEncoderOptions options)
    : models_(std::move(models)), options_(options) {
  auto add = [this](const QueryModel& model) {
    if (model.space.empty() || FindSlot(model.space) != nullptr) return;
    auto slot = std::make_unique<Slot>();
    slot->model = model;
    slots_.push_back(std::move(slot));
  };
  for (const QueryModel& model : models_.text) add(model);
  if (models_.image) add(*models_.image);
  if (models_.audio) add(*models_.audio);
}

QueryEncoders::~QueryEncoders() = default;

QueryEncoders::Slot* QueryEncoders::FindSlot(const std::string& space) const {
  for (const auto& slot : slots_) {
    if (slot->model.space == space) return slot.get();
  }
  return nullptr;
}

std::shared_ptr<embedding::Encoder> QueryEncoders::Acquire(Slot& slot) {
  std::lock_guard lock(slot.mutex);
  slot.last_used = MonotonicSeconds();
  if (!IsModelInstalled(slot.model.dir)) {
    if (slot.encoder) {
      spdlog::info("query model '{}' was removed from '{}'; unloading it", slot.model.name,
                   slot.model.dir.string());
      slot.encoder.reset();
    }
    throw ModelUnavailableError(fmt::format(
        "the model '{}' is not installed in '{}'; install it with 'msearch models pull {}' or "
        "'msearch models import DIR'",
        slot.model.name, slot.model.dir.parent_path().string(), slot.model.name));
  }
  if (slot.encoder) return slot.encoder;
  double started = MonotonicSeconds();
  try {
    slot.encoder = embedding::Encoder::Load(slot.model.dir, options_.threads);
  } catch (const Error& error) {
    spdlog::error("cannot load the query model '{}' from '{}': {}", slot.model.name,
                  slot.model.dir.string(), error.what());
    throw ModelUnavailableError(fmt::format("the model '{}' in '{}' cannot be loaded: {}",
                                            slot.model.name, slot.model.dir.string(),
                                            error.what()));
  }
  spdlog::info("loaded the query model '{}' ({}, {} dimensions) in {:.2f} s", slot.model.name,
               slot.encoder->info().family, slot.encoder->info().embedding_dim,
               MonotonicSeconds() - started);
  return slot.encoder;
}

std::vector<SpaceVector> QueryEncoders::EncodeText(
    const std::string& text, bool chinese, const std::function<bool(const std::string&)>& wanted,
    std::vector<std::string>* notes) {
  std::vector<const QueryModel*> candidates;
  for (const QueryModel& model : models_.text) candidates.push_back(&model);
  if (models_.image) candidates.push_back(&*models_.image);
  if (models_.audio) candidates.push_back(&*models_.audio);

  std::vector<SpaceVector> vectors;
  std::vector<std::string> done;
  for (const QueryModel* model : candidates) {
    if (std::find(done.begin(), done.end(), model->space) != done.end()) continue;
    done.push_back(model->space);
    Slot* slot = FindSlot(model->space);
    if (slot == nullptr || (wanted && !wanted(model->space))) continue;
    if (!IsModelInstalled(model->dir)) {
      if (notes) notes->push_back(fmt::format("the model '{}' is not installed", model->name));
      continue;
    }
    // The family decides the routing before the model is loaded, so a
    // Chinese query never loads an English-only model.
    std::string family = ReadModelFamily(model->dir);
    if (chinese && !FamilyReadsChinese(family)) continue;
    try {
      std::shared_ptr<embedding::Encoder> encoder = Acquire(*slot);
      if (!encoder->Supports(inference::Modality::kText)) continue;
      std::vector<std::string> texts = {text};
      std::vector<std::vector<float>> rows = encoder->EncodeTexts(texts);
      if (rows.empty()) continue;
      vectors.push_back({model->space, model->name, encoder->info().family, std::move(rows[0])});
    } catch (const Error& error) {
      spdlog::warn("text query not encoded with '{}': {}", model->name, error.what());
      if (notes) notes->push_back(error.what());
    }
  }
  return vectors;
}

bool QueryEncoders::ImageModelInstalled() const {
  return models_.image && IsModelInstalled(models_.image->dir);
}

bool QueryEncoders::AudioModelInstalled() const {
  return models_.audio && IsModelInstalled(models_.audio->dir);
}

SpaceVector QueryEncoders::EncodeImageFile(const std::filesystem::path& path) {
  if (!models_.image) {
    throw ModelUnavailableError(
        "no image model is configured (models.image is empty), so images cannot be searched by "
        "content");
  }
  std::shared_ptr<embedding::Encoder> encoder = Acquire(*FindSlot(models_.image->space));
  preprocess::RgbImage image;
  try {
    image = preprocess::DecodeRgbImage(path);
  } catch (const preprocess::PreprocessError& error) {
    throw InvalidQueryError(error.what());
  }
  std::vector<preprocess::RgbImage> images;
  images.push_back(std::move(image));
  std::vector<std::vector<float>> rows = encoder->EncodeImages(images);
  return {models_.image->space, models_.image->name, encoder->info().family, std::move(rows.at(0))};
}

SpaceVector QueryEncoders::EncodeImagesMean(std::span<const preprocess::RgbImage> images) {
  if (!models_.image) {
    throw ModelUnavailableError(
        "no image model is configured (models.image is empty), so video frames cannot be "
        "searched by content");
  }
  if (images.empty()) throw InvalidQueryError("the query has no frames to encode");
  std::shared_ptr<embedding::Encoder> encoder = Acquire(*FindSlot(models_.image->space));
  std::vector<float> mean = NormalizedMean(encoder->EncodeImages(images));
  if (mean.empty()) throw InvalidQueryError("the frames of the query give no usable vector");
  return {models_.image->space, models_.image->name, encoder->info().family, std::move(mean)};
}

int QueryEncoders::AudioSampleRate() {
  if (!models_.audio) {
    throw ModelUnavailableError("no audio model is configured (models.audio is empty)");
  }
  return Acquire(*FindSlot(models_.audio->space))->info().audio_sample_rate;
}

SpaceVector QueryEncoders::EncodeWaveformMean(std::span<const float> samples) {
  if (!models_.audio) {
    throw ModelUnavailableError("no audio model is configured (models.audio is empty)");
  }
  if (samples.empty()) throw InvalidQueryError("the query contains no audio samples");
  std::shared_ptr<embedding::Encoder> encoder = Acquire(*FindSlot(models_.audio->space));
  std::vector<std::vector<float>> rows;
  for (embedding::AudioVector& window : encoder->EncodeWaveform(samples)) {
    rows.push_back(std::move(window.vector));
  }
  std::vector<float> mean = NormalizedMean(rows);
  if (mean.empty()) throw InvalidQueryError("the query audio gives no usable vector");
  return {models_.audio->space, models_.audio->name, encoder->info().family, std::move(mean)};
}

int QueryEncoders::UnloadIdle() {
  if (options_.idle_unload_seconds <= 0) return 0;
  int unloaded = 0;
  double now = MonotonicSeconds();
  for (const auto& slot : slots_) {
    // A slot whose lock is taken is loading its model (for seconds) or in
    // use, so it is not idle.
    std::unique_lock lock(slot->mutex, std::try_to_lock);
    if (!lock.owns_lock()) continue;
    if (!slot->encoder || now - slot->last_used < options_.idle_unload_seconds) continue;
    spdlog::info("unloading the query model '{}' after {:.0f} s without queries", slot->model.name,
                 now - slot->last_used);
    // A query still using it keeps its own reference until it finishes.
    slot->encoder.reset();
    ++unloaded;
  }
  if (unloaded > 0) malloc_trim(0);
  return unloaded;
}

std::vector<std::string> QueryEncoders::LoadedModels() const {
  std::vector<std::string> names;
  for (const auto& slot : slots_) {
    std::lock_guard lock(slot->mutex);
    if (slot->encoder) names.push_back(slot->model.space);
  }
  return names;
}

}  // namespace msearch::search
