#include "search/index_manager.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/logging.h"
#include "search/index_files.h"
#include "store/catalog_schema.h"
#include "store/migrations.h"

namespace msearch::search {
namespace {

std::string GraphFileName(const std::string& stem, uint64_t generation) {
  return fmt::format("{}.{}.hnsw", stem, generation);
}

std::string KeysFileName(const std::string& stem, uint64_t generation) {
  return fmt::format("{}.{}.keys", stem, generation);
}

// Checks that a file named by a manifest has the recorded size and digest.
void CheckFile(const std::filesystem::path& path, uintmax_t bytes, const std::string& sha256) {
  std::error_code error;
  uintmax_t actual = std::filesystem::file_size(path, error);
  if (error) throw Error(fmt::format("cannot read '{}': {}", path.string(), error.message()));
  if (actual != bytes) {
    throw Error(fmt::format("'{}' has {} bytes, but the manifest records {}", path.string(), actual,
                            bytes));
  }
  if (Sha256OfFile(path) != sha256) {
    throw Error(
        fmt::format("the SHA-256 of '{}' differs from the one in the manifest", path.string()));
  }
}

void RemoveQuietly(const std::filesystem::path& path) {
  std::error_code error;
  std::filesystem::remove(path, error);
  if (error) spdlog::warn("cannot delete '{}': {}", path.string(), error.message());
}

void RenameOrThrow(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code error;
  std::filesystem::rename(from, to, error);
  if (error) {
    throw Error(
        fmt::format("cannot rename '{}' to '{}': {}", from.string(), to.string(), error.message()));
  }
}

}  // namespace

IndexManager::IndexManager(IndexManagerOptions options) : options_(std::move(options)) {}

IndexManager::~IndexManager() { Stop(); }

void IndexManager::Open() {
  if (opened_) throw Error("the vector index manager is already open");
  std::error_code error;
  std::filesystem::create_directories(options_.index_dir, error);
  if (error) {
    throw Error(fmt::format("cannot create the vector index folder '{}': {}",
                            options_.index_dir.string(), error.message()));
  }
  double started = MonotonicSeconds();
  std::vector<store::SpaceInfo> infos;
  {
    std::lock_guard lock(catalog_mutex_);
    catalog_ = std::make_unique<store::Database>(options_.catalog_path);
    store::ApplyMigrations(*catalog_, "catalog", store::CatalogMigrations());
    embeddings_ = std::make_unique<store::EmbeddingStore>(*catalog_);
    infos = embeddings_->ListSpaces();
  }

  for (const store::SpaceInfo& info : infos) {
    if (info.dimension <= 0) continue;
    auto space = std::make_unique<Space>();
    space->name = info.space;
    space->stem = SpaceFileStem(info.space);
    std::lock_guard lock(space->write_mutex);
    if (!LoadSaved(*space, static_cast<size_t>(info.dimension), static_cast<size_t>(info.count))) {
      space->index = std::make_shared<VectorIndex>(info.space, static_cast<size_t>(info.dimension),
                                                   options_.index, static_cast<size_t>(info.count));
    }
    std::unique_lock spaces_lock(spaces_mutex_);
    spaces_.emplace(info.space, std::move(space));
  }

  opened_ = true;
  SyncCounts counts = CatchUp();
  RemoveStrayFiles();
  spdlog::info(
      "opened the vector indexes in '{}': {} spaces, {} vectors added and {} removed to "
      "match the catalog, {:.1f} s",
      options_.index_dir.string(), infos.size(), counts.added, counts.removed,
      MonotonicSeconds() - started);
}

bool IndexManager::LoadSaved(Space& space, size_t dimension, size_t catalog_count) {
  std::filesystem::path manifest_path = options_.index_dir / (space.stem + ".json");
  std::error_code error;
  if (!std::filesystem::exists(manifest_path, error)) return false;
  try {
    IndexManifest manifest = ParseManifest(ReadWholeFile(manifest_path), manifest_path);
    if (manifest.space != space.name) {
      throw Error(fmt::format("the manifest is for space '{}'", manifest.space));
    }
    if (manifest.dimension != dimension) {
      throw Error(fmt::format("it contains vectors of dimension {}, but the catalog's have {}",
                              manifest.dimension, dimension));
    }
    VectorIndex::Mode mode =
        VectorIndex::ModeToKeep(options_.index, dimension, VectorIndex::Mode::kHnsw, catalog_count);
    if (mode != VectorIndex::Mode::kHnsw) {
      spdlog::info(
          "not loading the saved graph of space '{}': its {} vectors in the catalog are "
          "searched by {} search now; reading them from the catalog",
          space.name, catalog_count, ModeName(mode));
      return false;
    }
    std::filesystem::path graph_path = options_.index_dir / manifest.graph_file;
    std::filesystem::path keys_path = options_.index_dir / manifest.keys_file;
    CheckFile(graph_path, manifest.graph_bytes, manifest.graph_sha256);
    CheckFile(keys_path, manifest.keys_bytes, manifest.keys_sha256);
    std::shared_ptr<VectorIndex> index =
        VectorIndex::Load(space.name, dimension, options_.index, graph_path);
    std::vector<store::EmbeddingKey> keys = ReadKeysFile(keys_path);
    std::vector<int64_t> ids = index->Ids();
    if (ids.size() != keys.size() ||
        !std::equal(ids.begin(), ids.end(), keys.begin(),
                    [](int64_t id, const store::EmbeddingKey& key) { return id == key.id; })) {
      throw Error(fmt::format("the graph contains {} ids and the keys file {}, and they differ",
                              ids.size(), keys.size()));
    }
    space.index = std::move(index);
    space.keys = std::move(keys);
    space.generation = manifest.generation;
    space.saved_at = manifest.saved_at;
    space.unsaved_changes = false;
    spdlog::info("loaded the vector index of space '{}' from '{}': {} vectors, saved {}",
                 space.name, graph_path.string(), ids.size(), FormatIso8601(manifest.saved_at));
    return true;
  } catch (const Error& e) {
    spdlog::warn(
        "ignoring the saved vector index of space '{}' ({}); rebuilding it from the "
        "catalog",
        space.name, e.what());
    // Without its manifest, the stray file cleanup deletes its files.
    RemoveQuietly(manifest_path);
    return false;
  }
}

void IndexManager::Start() {
  if (!opened_) throw Error("open the vector index manager before starting it");
  std::lock_guard lock(thread_mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread(&IndexManager::RunBackground, this);
  spdlog::info("vector index upkeep started: catch-up every {} s, save every {} s",
               options_.catch_up_interval_s, options_.save_interval_s);
}

void IndexManager::Stop() {
  {
    std::lock_guard lock(thread_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    spdlog::info("vector index upkeep stopped");
  }
  if (!opened_) return;
  try {
    SaveAll();
  } catch (const std::exception& e) {
    spdlog::error(
        "saving the vector indexes at shutdown failed: {}; they are rebuilt from the "
        "catalog at the next start",
        e.what());
  }
}

void IndexManager::RunBackground() {
  static LogRateLimiter limiter(3, std::chrono::seconds(600));
  double next_catch_up = MonotonicSeconds() + options_.catch_up_interval_s;
  double next_save = MonotonicSeconds() + options_.save_interval_s;
  std::unique_lock lock(thread_mutex_);
  while (!stopping_) {
    double wait_s = std::max(0.0, std::min(next_catch_up, next_save) - MonotonicSeconds());
    wake_.wait_for(lock, std::chrono::duration<double>(wait_s), [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    try {
      if (MonotonicSeconds() >= next_catch_up) {
        CatchUp();
        Maintain();
        next_catch_up = MonotonicSeconds() + options_.catch_up_interval_s;
      }
      if (MonotonicSeconds() >= next_save) {
        SaveAll();
        next_save = MonotonicSeconds() + options_.save_interval_s;
      }
    } catch (const std::exception& e) {
      // Retried at the next interval; the catalog keeps every vector.
      next_catch_up = MonotonicSeconds() + options_.catch_up_interval_s;
      next_save = std::max(next_save, next_catch_up);
      size_t suppressed = 0;
      if (limiter.Allow("upkeep", &suppressed)) {
        spdlog::error(
            "vector index upkeep failed: {} ({} similar errors suppressed); retrying "
            "in {} s",
            e.what(), suppressed, options_.catch_up_interval_s);
      }
    }
    lock.lock();
  }
}

std::vector<SearchHit> IndexManager::Search(std::string_view space, std::span<const float> query,
                                            size_t k, const IdFilter& filter,
                                            float min_score) const {
  std::shared_ptr<VectorIndex> index = FindIndex(space);
  if (!index) return {};
  return index->Search(query, k, filter, min_score);
}

std::shared_ptr<VectorIndex> IndexManager::FindIndex(std::string_view space) const {
  std::shared_lock lock(spaces_mutex_);
  auto found = spaces_.find(space);
  return found == spaces_.end() ? nullptr : found->second->index;
}

std::vector<SpaceStatus> IndexManager::Status() const {
  std::vector<SpaceStatus> statuses;
  std::shared_lock lock(spaces_mutex_);
  for (const auto& [name, space] : spaces_) {
    SpaceStatus status;
    status.space = name;
    status.dimension = space->index->dimension();
    status.stats = space->index->stats();
    status.unsaved_changes = space->unsaved_changes;
    status.saved_at = space->saved_at;
    statuses.push_back(std::move(status));
  }
  return statuses;
}

void IndexManager::SetIndex(Space& space, std::shared_ptr<VectorIndex> index) {
  std::unique_lock lock(spaces_mutex_);
  space.index = std::move(index);
}

IndexManager::Space& IndexManager::FindOrAddSpace(std::string_view name, size_t dimension,
                                                  size_t expected_size) {
  std::unique_lock lock(spaces_mutex_);
  auto found = spaces_.find(name);
  if (found != spaces_.end()) return *found->second;
  auto space = std::make_unique<Space>();
  space->name = std::string(name);
  space->stem = SpaceFileStem(name);
  space->index =
      std::make_shared<VectorIndex>(space->name, dimension, options_.index, expected_size);
  spdlog::info("new vector index for space '{}' ({} dimensions)", name, dimension);
  return *spaces_.emplace(space->name, std::move(space)).first->second;
}

std::vector<IndexManager::Space*> IndexManager::AllSpaces() const {
  std::shared_lock lock(spaces_mutex_);
  std::vector<Space*> spaces;
  for (const auto& entry : spaces_) spaces.push_back(entry.second.get());
  return spaces;
}

void IndexManager::Maintain() {
  for (Space* space : AllSpaces()) {
    std::shared_ptr<VectorIndex> index;
    {
      std::shared_lock lock(spaces_mutex_);
      index = space->index;
    }
    // A rebuild changes the graph file even though the vectors stay the same.
    if (index->Maintain()) space->unsaved_changes = true;
  }
}

void IndexManager::SaveAll() {
  for (Space* space : AllSpaces()) SaveSpace(*space);
}

void IndexManager::SaveSpace(Space& space) {
  std::lock_guard lock(space.write_mutex);
  if (!space.unsaved_changes) return;
  double started = MonotonicSeconds();
  std::filesystem::path manifest_path = options_.index_dir / (space.stem + ".json");
  VectorIndex::Stats stats = space.index->stats();
  if (stats.mode != VectorIndex::Mode::kHnsw || stats.size == 0) {
    // Scanned spaces have no structure to save: they are read from the
    // catalog at open.
    if (space.generation != 0) {
      RemoveQuietly(manifest_path);
      DeleteFiles(space, space.generation);
      space.generation = 0;
    }
    space.unsaved_changes = false;
    return;
  }

  IndexManifest manifest;
  manifest.space = space.name;
  manifest.dimension = space.index->dimension();
  manifest.count = space.keys.size();
  manifest.deleted = stats.deleted;
  manifest.generation = space.generation + 1;
  manifest.m = options_.index.hnsw.m;
  manifest.ef_construction = options_.index.hnsw.ef_construction;
  manifest.graph_file = GraphFileName(space.stem, manifest.generation);
  manifest.keys_file = KeysFileName(space.stem, manifest.generation);
  manifest.catalog_max_id = space.keys.empty() ? 0 : space.keys.back().id;
  std::filesystem::path graph_path = options_.index_dir / manifest.graph_file;
  std::filesystem::path keys_path = options_.index_dir / manifest.keys_file;
  std::filesystem::path graph_temporary = graph_path.string() + ".tmp";
  std::filesystem::path keys_temporary = keys_path.string() + ".tmp";
  try {
    space.index->Save(graph_temporary);
    FsyncFile(graph_temporary);
    RenameOrThrow(graph_temporary, graph_path);
    WriteKeysFile(keys_temporary, space.keys);
    FsyncFile(keys_temporary);
    RenameOrThrow(keys_temporary, keys_path);
    manifest.graph_bytes = std::filesystem::file_size(graph_path);
    manifest.graph_sha256 = Sha256OfFile(graph_path);
    manifest.keys_bytes = std::filesystem::file_size(keys_path);
    manifest.keys_sha256 = Sha256OfFile(keys_path);
    manifest.saved_at = NowSeconds();
    // The manifest switches to the new generation in one rename.
    WriteFileAtomically(manifest_path, ManifestToJson(manifest));
  } catch (const std::exception&) {
    for (const auto& path : {graph_temporary, keys_temporary, graph_path, keys_path}) {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
    }
    throw;
  }
  DeleteFiles(space, space.generation);
  space.generation = manifest.generation;
  space.saved_at = manifest.saved_at;
  space.unsaved_changes = false;
  spdlog::info("saved the vector index of space '{}' to '{}': {} vectors, {} bytes, {:.1f} s",
               space.name, graph_path.string(), manifest.count, manifest.graph_bytes,
               MonotonicSeconds() - started);
}

void IndexManager::DeleteFiles(const Space& space, uint64_t generation) {
  if (generation == 0) return;
  RemoveQuietly(options_.index_dir / GraphFileName(space.stem, generation));
  RemoveQuietly(options_.index_dir / KeysFileName(space.stem, generation));
}

void IndexManager::RemoveStrayFiles() {
  std::set<std::string> keep;
  for (Space* space : AllSpaces()) {
    std::lock_guard lock(space->write_mutex);
    if (space->generation == 0) continue;
    keep.insert(space->stem + ".json");
    keep.insert(GraphFileName(space->stem, space->generation));
    keep.insert(KeysFileName(space->stem, space->generation));
  }
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(options_.index_dir, error)) {
    std::string name = entry.path().filename().string();
    std::string extension = entry.path().extension().string();
    bool ours =
        extension == ".json" || extension == ".hnsw" || extension == ".keys" || extension == ".tmp";
    if (!ours || keep.contains(name) || !entry.is_regular_file()) continue;
    spdlog::info("deleting '{}': it belongs to no current vector index", entry.path().string());
    RemoveQuietly(entry.path());
  }
  if (error) {
    spdlog::warn("cannot list the vector index folder '{}': {}", options_.index_dir.string(),
                 error.message());
  }
}

}  // namespace msearch::search
