#include "server/search_setup.h"

#include <algorithm>
#include <limits>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/error.h"
#include "models/model_name.h"
#include "pipeline/analysis_options.h"
#include "search/index_files.h"

namespace msearch::server {
namespace {

std::optional<search::QueryModel> ModelFor(const config::Config& config, const std::string& name) {
  if (name.empty()) return std::nullopt;
  try {
    std::string store_name = models::StoreName(name);
    return search::QueryModel{name, store_name, config.models.dir / store_name};
  } catch (const Error& error) {
    // The configuration loader rejects such names before anything starts.
    spdlog::warn("ignoring the model name '{}' for search: {}", name, error.what());
    return std::nullopt;
  }
}

}  // namespace

search::QueryModels QueryModelsFromConfig(const config::Config& config) {
  search::QueryModels models;
  models.image = ModelFor(config, config.models.image);
  for (const std::string& name : config.models.text) {
    if (std::optional<search::QueryModel> model = ModelFor(config, name)) {
      models.text.push_back(*model);
    }
  }
  models.audio = ModelFor(config, config.models.audio);
  return models;
}

search::SearchServiceOptions SearchOptionsFromConfig(const config::Config& config) {
  search::SearchServiceOptions options;
  options.weights.image = config.search.image_weight;
  options.weights.video = config.search.video_weight;
  options.weights.audio = config.search.audio_weight;
  options.weights.text = config.search.text_weight;
  options.sound_audio_factor = config.search.sound_audio_factor;
  options.video_segments = pipeline::AnalysisOptionsFromConfig(config).segments;
  return options;
}

SearchRuntime::SearchRuntime(const config::Config& config, SearchRuntimeOptions options)
    : options_(std::move(options)) {
  search::IndexManagerOptions index;
  index.catalog_path = config.storage.catalog_path;
  index.index_dir =
      options_.index_dir.empty() ? config.storage.data_dir / "index" : options_.index_dir;
  index.index.exact_threshold = static_cast<size_t>(config.search.exact_up_to);
  index.index.quantized_threshold = static_cast<size_t>(config.search.scan_up_to);
  index.index.hnsw.ef_search = static_cast<size_t>(config.search.hnsw_ef_search);
  if (options_.exact_only) index.index.exact_threshold = std::numeric_limits<size_t>::max();
  index_ = std::make_shared<search::IndexManager>(index);

  search::QueryEncoderOptions encoder_options;
  encoder_options.threads =
      config.models.inference_threads > 0
          ? config.models.inference_threads
          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  encoder_options.idle_unload_seconds = config.models.idle_unload_seconds;
  encoders_ =
      std::make_shared<search::QueryEncoders>(QueryModelsFromConfig(config), encoder_options);
  service_ =
      std::make_shared<search::SearchService>(SearchOptionsFromConfig(config), encoders_, index_);
}

SearchRuntime::~SearchRuntime() { Stop(); }

void SearchRuntime::Open() {
  try {
    index_->Open();
    if (options_.upkeep) index_->Start();
    service_->SetIndexReady();
  } catch (const std::exception& error) {
    service_->SetIndexFailed();
    spdlog::error(
        "failed to open the vector indexes: {}. Searches run without matches by content until "
        "msearch restarts",
        error.what());
  }
}

void SearchRuntime::Start() {
  std::lock_guard lock(thread_mutex_);
  if (started_) return;
  started_ = true;
  if (options_.open_in_background) {
    opener_ = std::thread(&SearchRuntime::Open, this);
  } else {
    Open();
  }
}

void SearchRuntime::Stop() {
  std::lock_guard lock(thread_mutex_);
  if (!started_) return;
  // NOTE: a first start over millions of vectors builds HNSW graphs for
  // minutes (an estimate), and a shutdown during that time waits for it.
  if (opener_.joinable()) opener_.join();
  index_->Stop();
  started_ = false;
}

void SearchRuntime::FilesRemoved(const std::vector<int64_t>& file_ids) {
  if (!service_->index_ready()) return;  // the opening catch-up applies the deletions
  size_t removed = 0;
  for (int64_t file_id : file_ids) removed += index_->RemoveFile(file_id);
  if (removed > 0) {
    spdlog::info("removed {} vectors of {} deleted files from the vector indexes", removed,
                 file_ids.size());
  }
}

nlohmann::json SearchRuntime::IndexStatus() const {
  nlohmann::json spaces = nlohmann::json::array();
  if (!service_->index_ready()) return spaces;
  for (const search::SpaceStatus& status : index_->Status()) {
    spaces.push_back({
        {"space", status.space},
        {"dimension", status.dimension},
        {"mode", search::ModeName(status.stats.mode)},
        {"size", status.stats.size},
        {"deleted", status.stats.deleted},
        {"memory_bytes", status.stats.memory_bytes},
        {"unsaved_changes", status.unsaved_changes},
        {"saved_at", status.saved_at > 0 ? nlohmann::json(FormatIso8601(status.saved_at))
                                         : nlohmann::json(nullptr)},
    });
  }
  return spaces;
}

std::vector<std::string> SearchRuntime::LoadedModels() const { return encoders_->LoadedModels(); }

void SearchRuntime::UnloadIdleModels() { encoders_->UnloadIdle(); }

}  // namespace msearch::server
