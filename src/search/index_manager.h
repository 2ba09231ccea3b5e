#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "search/search_hit.h"
#include "search/vector_index.h"
#include "store/embedding_store.h"
#include "store/sqlite.h"

namespace msearch::search {

struct IndexManagerOptions {
  std::filesystem::path catalog_path;  // the catalog database, the source of truth
  std::filesystem::path index_dir;     // where indexes are saved, e.g. <data_dir>/index
  VectorIndexOptions index;
  double save_interval_s = 300;     // background save of spaces with unsaved changes
  double catch_up_interval_s = 60;  // background comparison with the catalog
  size_t read_chunk = 4096;         // vectors read from the catalog per query
};

// Changes one catch-up or refresh made to the indexes.
struct SyncCounts {
  size_t added = 0;    // vectors added, replaced ones included
  size_t removed = 0;  // vectors removed, replaced ones included

  SyncCounts& operator+=(const SyncCounts& other) {
    added += other.added;
    removed += other.removed;
    return *this;
  }
};

struct SpaceStatus {
  std::string space;
  size_t dimension = 0;
  VectorIndex::Stats stats;
  bool unsaved_changes = false;
  double saved_at = 0;  // Unix seconds of the last save, 0 if none
};

// One VectorIndex per embedding space, kept in step with the embeddings
// table of the catalog and saved in a folder:
//   <stem>.json            manifest (IndexManifest) of the current generation
//   <stem>.<gen>.hnsw      the HNSW graph (spaces in HNSW mode only)
//   <stem>.<gen>.keys      id, file id and created_at of every vector
// where <stem> is SpaceFileStem(space). A save writes a new generation's
// files, flushes them, then replaces the manifest atomically, so a crash at
// any point leaves the previous generation loadable. Spaces searched by a
// scan (exact or quantised) save nothing, because they are read from the
// catalog at open.
//
// The catalog is the source of truth. Open() loads a saved index only when
// its files match the size and SHA-256 in the manifest and the graph passes
// its structural checks. It logs any other index and rebuilds it from the
// catalog.
// Then the index catches up: vectors missing from it are added, vectors no
// longer in the catalog are removed, and vectors whose row changed (same
// id, other created_at, because SQLite reuses the highest row id after a
// delete) are replaced.
//
// Thread-safe. Searches run concurrently with everything else; changes to
// one space are serialised, and wait while that space is being saved.
class IndexManager {
 public:
  explicit IndexManager(IndexManagerOptions options);
  // Stops the background thread and saves, as Stop() does.
  ~IndexManager();

  IndexManager(const IndexManager&) = delete;
  IndexManager& operator=(const IndexManager&) = delete;

  // Loads or rebuilds the index of every space in the catalog, catches up
  // and deletes leftover files of earlier generations. Call once, before
  // anything else. Throws Error or store::SqliteError when the catalog
  // cannot be opened or the index folder cannot be created.
  void Open();

  // Starts the background thread that catches up every
  // catch_up_interval_s and saves every save_interval_s. Stop() ends it and
  // saves the spaces with unsaved changes; errors are logged, not thrown.
  void Start();
  void Stop();

  // Searches one space (see VectorIndex::Search). Returns no hits for a
  // space without vectors. Throws Error for a query of the wrong length.
  std::vector<SearchHit> Search(std::string_view space, std::span<const float> query, size_t k,
                                const IdFilter& filter = {}, float min_score = kNoMinScore) const;

  // Removes embedding ids from every space, for example the ids of a file
  // being deleted. Returns the number removed.
  size_t RemoveIds(std::span<const int64_t> ids);
  // Removes every vector of a file; returns the number removed.
  size_t RemoveFile(int64_t file_id);
  // Brings the vectors of one file in line with the catalog, after its
  // vectors were stored or replaced.
  SyncCounts RefreshFile(int64_t file_id);
  // Compares every space with the catalog and applies the differences.
  SyncCounts CatchUp();
  // Adds the vectors stored since the last catch-up: rows with an id above
  // the highest one read so far. Costs one indexed query when nothing is
  // new, so searches call it first to include vectors stored a moment ago.
  // It misses deletions and reused ids, which CatchUp handles. Returns at
  // once, adding nothing, while another thread is reading the catalog for
  // the manager or running CatchUpRecent.
  SyncCounts CatchUpRecent();
  // Runs the rebuilds the indexes call for (VectorIndex::Maintain).
  void Maintain();
  // Saves every space with unsaved changes. Throws Error when a save fails;
  // the previous generation stays on disk.
  void SaveAll();

  std::vector<SpaceStatus> Status() const;
  std::shared_ptr<VectorIndex> FindIndex(std::string_view space) const;

 private:
  struct Space {
    std::string name;
    std::string stem;
    // Read with spaces_mutex_ or write_mutex held; replaced with both held.
    std::shared_ptr<VectorIndex> index;
    std::mutex write_mutex;                 // serialises changes and saves; guards the fields below
    std::vector<store::EmbeddingKey> keys;  // ascending by id; the ids in the index
    uint64_t generation = 0;                // of the files on disk; 0 when none
    // Also read by Status() without write_mutex.
    std::atomic<bool> unsaved_changes{false};
    std::atomic<double> saved_at{0};
  };

  using RecordSink = std::function<void(std::vector<store::EmbeddingRecord>&&)>;

  // Replaces the index of `space`; the caller holds its write_mutex.
  void SetIndex(Space& space, std::shared_ptr<VectorIndex> index);
  Space& FindOrAddSpace(std::string_view name, size_t dimension, size_t expected_size);
  std::vector<Space*> AllSpaces() const;

  // Loads the saved index of `space` into it. Returns false, after logging
  // why and deleting the manifest, when there is none, it is unusable, or
  // the space's `catalog_count` vectors call for a scan instead.
  bool LoadSaved(Space& space, size_t dimension, size_t catalog_count);
  void DeleteFiles(const Space& space, uint64_t generation);
  void RemoveStrayFiles();
  void SaveSpace(Space& space);

  SyncCounts CatchUpSpace(Space& space, const store::SpaceInfo& info);
  // Reads the catalog rows of `ids` (ascending) of `space` and passes them
  // to `sink` in chunks; rows gone meanwhile are left out. Scans the space
  // in id order when the ids are a large part of its `catalog_size` rows.
  void ReadRecords(const Space& space, const std::vector<int64_t>& ids, size_t catalog_size,
                   const RecordSink& sink);
  // Adds the records to the index of `space` and their keys to its keys.
  // Returns the number added.
  size_t ApplyRecords(Space& space, std::vector<store::EmbeddingRecord>&& records);
  // Removes `ids` (ascending) from the index and the keys of `space`.
  size_t RemoveSorted(Space& space, const std::vector<int64_t>& ids);
  void RunBackground();

  const IndexManagerOptions options_;

  mutable std::mutex catalog_mutex_;  // guards the catalog connection
  std::unique_ptr<store::Database> catalog_;
  std::unique_ptr<store::EmbeddingStore> embeddings_;
  // Every catalog row with an id up to this was present at a catch-up, so
  // CatchUpRecent reads only the rows above it.
  std::atomic<int64_t> high_water_{0};
  std::mutex recent_mutex_;  // one CatchUpRecent at a time

  // Guards spaces_ and each Space's index pointer. Spaces are never
  // removed, so a Space& stays valid after the lock is released.
  mutable std::shared_mutex spaces_mutex_;
  std::map<std::string, std::unique_ptr<Space>, std::less<>> spaces_;

  std::mutex thread_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  bool opened_ = false;
};

}  // namespace msearch::search
