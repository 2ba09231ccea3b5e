// The parts of IndexManager that bring indexes in line with the catalog.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.h"
#include "common/logging.h"
#include "search/index_manager.h"

namespace msearch::search {
namespace {

LogRateLimiter& SyncWarnings() {
  static LogRateLimiter limiter(5, std::chrono::seconds(60));
  return limiter;
}

bool SameRow(const store::EmbeddingKey& a, const store::EmbeddingKey& b) {
  return a.id == b.id && a.file_id == b.file_id && a.created_at == b.created_at;
}

int64_t MaxEmbeddingId(store::Database& catalog) {
  store::Statement select = catalog.Prepare("SELECT coalesce(max(id), 0) FROM embeddings");
  return select.Step() ? select.ColumnInt(0) : 0;
}

// Raises `high_water` to `id` unless it is already higher.
void RaiseHighWater(std::atomic<int64_t>& high_water, int64_t id) {
  int64_t seen = high_water.load();
  while (id > seen && !high_water.compare_exchange_weak(seen, id)) {
  }
}

}  // namespace

SyncCounts IndexManager::CatchUp() {
  if (!opened_) throw Error("open the vector index manager before catching up");
  std::vector<store::SpaceInfo> infos;
  int64_t newest = 0;
  {
    std::lock_guard lock(catalog_mutex_);
    // Rows stored after this read get higher ids, so every id up to
    // `newest` is covered by the comparison below.
    newest = MaxEmbeddingId(*catalog_);
    infos = embeddings_->ListSpaces();
  }
  SyncCounts total;
  std::set<std::string, std::less<>> in_catalog;
  for (const store::SpaceInfo& info : infos) {
    if (info.dimension <= 0) continue;
    in_catalog.insert(info.space);
    Space& space = FindOrAddSpace(info.space, static_cast<size_t>(info.dimension),
                                  static_cast<size_t>(info.count));
    total += CatchUpSpace(space, info);
  }
  // Spaces whose vectors were all deleted from the catalog.
  for (Space* space : AllSpaces()) {
    if (in_catalog.contains(space->name)) continue;
    store::SpaceInfo empty{space->name, 0, 0};
    total += CatchUpSpace(*space, empty);
  }
  RaiseHighWater(high_water_, newest);
  if (total.added > 0 || total.removed > 0) {
    spdlog::info("vector indexes caught up with the catalog: {} vectors added, {} removed",
                 total.added, total.removed);
  }
  return total;
}

SyncCounts IndexManager::CatchUpRecent() {
  if (!opened_) return {};
  std::unique_lock recent_lock(recent_mutex_, std::try_to_lock);
  if (!recent_lock.owns_lock()) return {};
  const int64_t after = high_water_.load();
  int64_t newest = 0;
  std::vector<std::pair<std::string, size_t>> spaces;  // spaces with new rows, and their dimension
  {
    std::unique_lock catalog_lock(catalog_mutex_, std::try_to_lock);
    if (!catalog_lock.owns_lock()) return {};
    newest = MaxEmbeddingId(*catalog_);
    if (newest <= after) return {};
    store::Statement select = catalog_->Prepare(
        "SELECT space, min(dimension) FROM embeddings WHERE id > ? GROUP BY space");
    select.Bind(1, after);
    while (select.Step()) {
      int64_t dimension = select.ColumnInt(1);
      if (dimension > 0) spaces.emplace_back(select.ColumnText(0), static_cast<size_t>(dimension));
    }
  }

  SyncCounts counts;
  for (const auto& [name, dimension] : spaces) {
    Space& space = FindOrAddSpace(name, dimension, 0);
    std::lock_guard lock(space.write_mutex);
    size_t added = 0;
    int64_t cursor = after;
    while (cursor < newest) {
      std::vector<store::EmbeddingRecord> chunk;
      {
        std::lock_guard catalog_lock(catalog_mutex_);
        chunk = embeddings_->ReadVectors(name, cursor, options_.read_chunk);
      }
      if (chunk.empty()) break;
      cursor = chunk.back().id;
      // A concurrent CatchUp may have added some of them already.
      std::erase_if(chunk, [&space](const store::EmbeddingRecord& record) {
        auto key = std::lower_bound(
            space.keys.begin(), space.keys.end(), record.id,
            [](const store::EmbeddingKey& entry, int64_t id) { return entry.id < id; });
        return key != space.keys.end() && key->id == record.id;
      });
      added += ApplyRecords(space, std::move(chunk));
    }
    if (added > 0) space.unsaved_changes = true;
    counts.added += added;
  }
  RaiseHighWater(high_water_, newest);
  if (counts.added > 0) {
    spdlog::debug("vector indexes added {} new vectors from the catalog", counts.added);
  }
  return counts;
}

SyncCounts IndexManager::CatchUpSpace(Space& space, const store::SpaceInfo& info) {
  std::lock_guard lock(space.write_mutex);
  if (info.count > 0 && static_cast<size_t>(info.dimension) != space.index->dimension()) {
    spdlog::warn(
        "space '{}' now contains vectors of dimension {} instead of {}; rebuilding its "
        "vector index from the catalog",
        space.name, info.dimension, space.index->dimension());
    SetIndex(space, std::make_shared<VectorIndex>(space.name, static_cast<size_t>(info.dimension),
                                                  options_.index, static_cast<size_t>(info.count)));
    space.keys.clear();
    space.unsaved_changes = true;
  }
  std::vector<store::EmbeddingKey> catalog_keys;
  if (info.count > 0) {
    std::lock_guard catalog_lock(catalog_mutex_);
    catalog_keys = embeddings_->ListKeys(space.name);
  }

  // Both lists ascend by id. A key present in both with other values is a
  // reused id: its index entry is stale and its row is missing.
  std::vector<int64_t> stale;
  std::vector<int64_t> missing;
  auto current = space.keys.begin();
  auto expected = catalog_keys.begin();
  while (current != space.keys.end() || expected != catalog_keys.end()) {
    if (expected == catalog_keys.end() ||
        (current != space.keys.end() && current->id < expected->id)) {
      stale.push_back((current++)->id);
    } else if (current == space.keys.end() || expected->id < current->id) {
      missing.push_back((expected++)->id);
    } else {
      if (!SameRow(*current, *expected)) {
        stale.push_back(current->id);
        missing.push_back(expected->id);
      }
      ++current;
      ++expected;
    }
  }

  SyncCounts counts;
  counts.removed = RemoveSorted(space, stale);
  if (!missing.empty()) {
    ReadRecords(space, missing, catalog_keys.size(),
                [&](std::vector<store::EmbeddingRecord>&& records) {
                  counts.added += ApplyRecords(space, std::move(records));
                });
  }
  if (counts.added > 0 || counts.removed > 0) space.unsaved_changes = true;
  return counts;
}

void IndexManager::ReadRecords(const Space& space, const std::vector<int64_t>& ids,
                               size_t catalog_size, const RecordSink& sink) {
  if (ids.empty()) return;
  // One ordered scan reads about 4096 rows per query; a lookup per id wins
  // only when few ids are missing.
  if (ids.size() * 8 >= catalog_size) {
    int64_t after_id = ids.front() - 1;
    size_t next = 0;
    while (next < ids.size()) {
      std::vector<store::EmbeddingRecord> chunk;
      {
        std::lock_guard lock(catalog_mutex_);
        chunk = embeddings_->ReadVectors(space.name, after_id, options_.read_chunk);
      }
      if (chunk.empty()) break;
      after_id = chunk.back().id;
      std::vector<store::EmbeddingRecord> expected;
      for (store::EmbeddingRecord& record : chunk) {
        while (next < ids.size() && ids[next] < record.id) ++next;
        if (next < ids.size() && ids[next] == record.id) {
          expected.push_back(std::move(record));
          ++next;
        }
      }
      if (!expected.empty()) sink(std::move(expected));
    }
    return;
  }
  for (size_t begin = 0; begin < ids.size(); begin += options_.read_chunk) {
    size_t end = std::min(ids.size(), begin + options_.read_chunk);
    std::vector<store::EmbeddingRecord> records;
    {
      std::lock_guard lock(catalog_mutex_);
      for (size_t i = begin; i < end; ++i) {
        try {
          std::optional<store::EmbeddingRecord> record = embeddings_->ReadVector(ids[i]);
          if (record && record->space == space.name) records.push_back(std::move(*record));
        } catch (const Error& e) {
          size_t suppressed = 0;
          if (SyncWarnings().Allow("read", &suppressed)) {
            spdlog::warn(
                "skipping embedding {} of space '{}': {} ({} similar warnings "
                "suppressed)",
                ids[i], space.name, e.what(), suppressed);
          }
        }
      }
    }
    if (!records.empty()) sink(std::move(records));
  }
}

size_t IndexManager::ApplyRecords(Space& space, std::vector<store::EmbeddingRecord>&& records) {
  size_t dimension = space.index->dimension();
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  std::vector<store::EmbeddingKey> keys;
  ids.reserve(records.size());
  vectors.reserve(records.size() * dimension);
  for (const store::EmbeddingRecord& record : records) {
    if (record.vector.size() != dimension) {
      size_t suppressed = 0;
      if (SyncWarnings().Allow("dimension", &suppressed)) {
        spdlog::warn(
            "skipping embedding {} of space '{}': it has {} elements, the index {} ({} "
            "similar warnings suppressed)",
            record.id, space.name, record.vector.size(), dimension, suppressed);
      }
      continue;
    }
    ids.push_back(record.id);
    vectors.insert(vectors.end(), record.vector.begin(), record.vector.end());
    keys.push_back({record.id, record.file_id, record.created_at});
  }
  if (ids.empty()) return 0;
  space.index->Add(ids, vectors);

  std::sort(keys.begin(), keys.end(),
            [](const store::EmbeddingKey& a, const store::EmbeddingKey& b) { return a.id < b.id; });
  bool appends = space.keys.empty() || space.keys.back().id < keys.front().id;
  size_t old_size = space.keys.size();
  space.keys.insert(space.keys.end(), keys.begin(), keys.end());
  if (!appends) {
    std::inplace_merge(
        space.keys.begin(), space.keys.begin() + static_cast<std::ptrdiff_t>(old_size),
        space.keys.end(),
        [](const store::EmbeddingKey& a, const store::EmbeddingKey& b) { return a.id < b.id; });
  }
  return ids.size();
}

size_t IndexManager::RemoveSorted(Space& space, const std::vector<int64_t>& ids) {
  if (ids.empty()) return 0;
  size_t removed = space.index->Remove(ids);
  std::erase_if(space.keys, [&](const store::EmbeddingKey& key) {
    return std::binary_search(ids.begin(), ids.end(), key.id);
  });
  return removed;
}

size_t IndexManager::RemoveIds(std::span<const int64_t> ids) {
  std::vector<int64_t> sorted(ids.begin(), ids.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  size_t removed = 0;
  for (Space* space : AllSpaces()) {
    std::lock_guard lock(space->write_mutex);
    size_t count = RemoveSorted(*space, sorted);
    if (count > 0) space->unsaved_changes = true;
    removed += count;
  }
  return removed;
}

size_t IndexManager::RemoveFile(int64_t file_id) {
  size_t removed = 0;
  for (Space* space : AllSpaces()) {
    std::lock_guard lock(space->write_mutex);
    std::vector<int64_t> ids;
    for (const store::EmbeddingKey& key : space->keys) {
      if (key.file_id == file_id) ids.push_back(key.id);
    }
    size_t count = RemoveSorted(*space, ids);
    if (count > 0) space->unsaved_changes = true;
    removed += count;
  }
  return removed;
}

SyncCounts IndexManager::RefreshFile(int64_t file_id) {
  if (!opened_) throw Error("open the vector index manager before refreshing a file");
  std::map<std::string, std::vector<store::EmbeddingRecord>, std::less<>> by_space;
  {
    std::lock_guard lock(catalog_mutex_);
    for (store::EmbeddingRecord& record : embeddings_->ReadFileVectors(file_id)) {
      by_space[record.space].push_back(std::move(record));
    }
  }
  for (const auto& [name, records] : by_space) {
    FindOrAddSpace(name, records.front().vector.size(), records.size());
  }
  SyncCounts counts;
  for (Space* space : AllSpaces()) {
    std::lock_guard lock(space->write_mutex);
    auto found = by_space.find(space->name);
    std::vector<store::EmbeddingRecord> records;
    if (found != by_space.end()) records = std::move(found->second);
    // Records arrive in id order, like the keys.
    std::vector<int64_t> stale;
    size_t next = 0;
    for (const store::EmbeddingKey& key : space->keys) {
      if (key.file_id != file_id) continue;
      while (next < records.size() && records[next].id < key.id) ++next;
      bool current = next < records.size() && SameRow(key, {records[next].id, records[next].file_id,
                                                            records[next].created_at});
      if (current) {
        records.erase(records.begin() + static_cast<std::ptrdiff_t>(next));
      } else {
        stale.push_back(key.id);
      }
    }
    // A remaining record with the id of another key reuses that id.
    for (const store::EmbeddingRecord& record : records) {
      auto key = std::lower_bound(
          space->keys.begin(), space->keys.end(), record.id,
          [](const store::EmbeddingKey& entry, int64_t id) { return entry.id < id; });
      if (key != space->keys.end() && key->id == record.id) stale.push_back(record.id);
    }
    std::sort(stale.begin(), stale.end());
    stale.erase(std::unique(stale.begin(), stale.end()), stale.end());
    size_t removed = RemoveSorted(*space, stale);
    size_t added = ApplyRecords(*space, std::move(records));
    if (removed > 0 || added > 0) space->unsaved_changes = true;
    counts.removed += removed;
    counts.added += added;
  }
  return counts;
}

}  // namespace msearch::search
