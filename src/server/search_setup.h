#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "search/index_manager.h"
#include "search/query_encoders.h"
#include "search/search_service.h"

namespace msearch::server {

// The configured models in the form the search uses: each with its
// embedding space (store name) and folder under models.dir.
search::QueryModels QueryModelsFromConfig(const config::Config& config);

// Search settings from the configuration: how query videos are segmented
// (the media pipeline's settings), model threads and idle unloading.
search::SearchServiceOptions SearchOptionsFromConfig(const config::Config& config);

struct SearchRuntimeOptions {
  // Folder of the saved vector indexes, <storage.data_dir>/index by default.
  std::filesystem::path index_dir;
  // Open the indexes on a background thread, so that the API starts at once
  // and vector matching joins when they are loaded.
  bool open_in_background = true;
  // Catch up with the catalog and save periodically (IndexManager::Start).
  bool upkeep = true;
  // Search every vector exactly, whatever the index size: no HNSW graph is
  // built, which suits a one-off search from the command line.
  bool exact_only = false;
};

// The search of one process: the vector indexes, the query encoders and the
// SearchService over them, with the hooks the main process gives the API.
// Thread-safe after Start.
class SearchRuntime {
 public:
  SearchRuntime(const config::Config& config, SearchRuntimeOptions options);
  // Stops, as Stop does.
  ~SearchRuntime();

  SearchRuntime(const SearchRuntime&) = delete;
  SearchRuntime& operator=(const SearchRuntime&) = delete;

  // Opens the vector indexes (in the background when configured so) and
  // starts their upkeep. Errors while opening are logged. Queries then run
  // without vector matching and return a warning.
  void Start();
  // Waits for the opening to finish, stops the upkeep and saves the indexes.
  void Stop();

  std::shared_ptr<search::SearchService> service() const { return service_; }

  // Drops the vectors of files that left the catalog.
  void FilesRemoved(const std::vector<int64_t>& file_ids);
  // One object per embedding space: space, dimension, mode (exact or
  // hnsw), size, deleted, memory_bytes, unsaved_changes, saved_at. The array
  // is empty while the indexes are loading.
  nlohmann::json IndexStatus() const;
  // Store names of the models loaded to encode queries.
  std::vector<std::string> LoadedModels() const;
  // Unloads query models idle for models.idle_unload_seconds. It is cheap,
  // so call it every few seconds.
  void UnloadIdleModels();

 private:
  void Open();

  const SearchRuntimeOptions options_;
  std::shared_ptr<search::IndexManager> index_;
  std::shared_ptr<search::QueryEncoders> encoders_;
  std::shared_ptr<search::SearchService> service_;
  std::mutex thread_mutex_;
  std::thread opener_;
  bool started_ = false;
};

}  // namespace msearch::server
