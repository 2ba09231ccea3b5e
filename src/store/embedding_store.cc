#include "store/embedding_store.h"

#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/logging.h"

namespace msearch::store {
namespace {

// Reads rows of (id, path, directory_id).
std::vector<EmbeddingStore::FileWithoutVectors> ReadFilesWithoutVectors(Statement& select) {
  std::vector<EmbeddingStore::FileWithoutVectors> files;
  while (select.Step()) {
    files.push_back({select.ColumnInt(0), select.ColumnText(1), select.ColumnInt(2)});
  }
  return files;
}

// Vectors whose squared norm is this close to 1 are stored as given, so a
// vector read back and stored again keeps its exact bits.
constexpr double kUnitTolerance = 1e-5;

static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559,
              "vectors are stored as IEEE 754 float32");

LogRateLimiter& DamagedRowLimiter() {
  static LogRateLimiter limiter(5, std::chrono::seconds(60));
  return limiter;
}

uint32_t ToLittleEndian(uint32_t bits) {
  if constexpr (std::endian::native == std::endian::little) {
    return bits;
  } else {
    return __builtin_bswap32(bits);
  }
}

std::vector<std::byte> EncodeVector(std::span<const float> vector) {
  std::vector<std::byte> bytes(vector.size() * sizeof(float));
  for (size_t i = 0; i < vector.size(); ++i) {
    uint32_t bits = ToLittleEndian(std::bit_cast<uint32_t>(vector[i]));
    std::memcpy(bytes.data() + i * sizeof(float), &bits, sizeof(bits));
  }
  return bytes;
}

// Returns nullopt when `bytes` is not `dimension` finite floats.
std::optional<std::vector<float>> DecodeVector(std::span<const std::byte> bytes, int dimension) {
  if (dimension <= 0 || bytes.size() != static_cast<size_t>(dimension) * sizeof(float)) {
    return std::nullopt;
  }
  std::vector<float> vector(static_cast<size_t>(dimension));
  for (size_t i = 0; i < vector.size(); ++i) {
    uint32_t bits = 0;
    std::memcpy(&bits, bytes.data() + i * sizeof(float), sizeof(bits));
    vector[i] = std::bit_cast<float>(ToLittleEndian(bits));
    if (!std::isfinite(vector[i])) return std::nullopt;
  }
  return vector;
}

// Checks one vector and returns it with unit length. Throws Error naming
// the file, the space and the vector's position in the batch.
std::vector<float> UnitVector(const NewEmbedding& embedding, int64_t file_id,
                              std::string_view space, size_t position) {
  const std::vector<float>& vector = embedding.vector;
  if (vector.empty()) {
    throw Error(
        fmt::format("vector {} of file {} for space '{}' is empty", position, file_id, space));
  }
  double squared_norm = 0;
  for (size_t i = 0; i < vector.size(); ++i) {
    if (!std::isfinite(vector[i])) {
      throw Error(fmt::format(
          "vector {} of file {} for space '{}' has a non-finite value at element {}; check the "
          "model output",
          position, file_id, space, i));
    }
    squared_norm += static_cast<double>(vector[i]) * vector[i];
  }
  if (squared_norm == 0) {
    throw Error(
        fmt::format("vector {} of file {} for space '{}' is all zeros and cannot be normalised",
                    position, file_id, space));
  }
  if (std::abs(squared_norm - 1.0) <= kUnitTolerance) return vector;
  std::vector<float> unit(vector.size());
  double scale = 1.0 / std::sqrt(squared_norm);
  for (size_t i = 0; i < vector.size(); ++i) {
    unit[i] = static_cast<float>(vector[i] * scale);
  }
  return unit;
}

void CheckDimension(std::string_view space, size_t expected, size_t actual, size_t position,
                    int64_t file_id, std::string_view expected_source) {
  if (expected == actual) return;
  throw Error(fmt::format(
      "vector {} of file {} for space '{}' has {} elements, but {} has {}; each space contains "
      "the vectors of one model, so store vectors of another size under another space name",
      position, file_id, space, actual, expected_source, expected));
}

constexpr std::string_view kRecordColumns =
    "id, file_id, segment_id, space, dimension, vector, created_at";

// Reads the row at `row` (selected with kRecordColumns). Returns nullopt
// when the vector is damaged or its length differs from
// `expected_dimension` (when given), after a rate-limited warning when
// `warn_on_skip` is set.
std::optional<EmbeddingRecord> ReadRecord(const Statement& row,
                                          std::optional<int> expected_dimension,
                                          bool warn_on_skip) {
  EmbeddingRecord record;
  record.id = row.ColumnInt(0);
  record.file_id = row.ColumnInt(1);
  record.segment_id = row.ColumnOptionalInt(2);
  record.space = row.ColumnText(3);
  int dimension = static_cast<int>(row.ColumnInt(4));
  record.created_at = row.ColumnDouble(6);
  std::optional<std::vector<float>> vector;
  if (!expected_dimension || dimension == *expected_dimension) {
    vector = DecodeVector(row.ColumnBlob(5), dimension);
  }
  if (!vector) {
    size_t suppressed = 0;
    if (warn_on_skip && DamagedRowLimiter().Allow("embedding", &suppressed)) {
      spdlog::warn(
          "skipping embedding {} of file {} in space '{}': its vector is not {} finite float32 "
          "values ({} similar warnings suppressed); storing the file's vectors again replaces it",
          record.id, record.file_id, record.space, expected_dimension.value_or(dimension),
          suppressed);
    }
    return std::nullopt;
  }
  record.vector = std::move(*vector);
  return record;
}

}  // namespace

std::vector<int64_t> EmbeddingStore::ReplaceFileVectors(int64_t file_id, std::string_view space,
                                                        std::span<const NewEmbedding> embeddings) {
  if (space.empty()) {
    throw Error(fmt::format("vectors of file {} have an empty space name", file_id));
  }
  std::vector<std::vector<float>> vectors;
  vectors.reserve(embeddings.size());
  for (size_t i = 0; i < embeddings.size(); ++i) {
    vectors.push_back(UnitVector(embeddings[i], file_id, space, i));
    CheckDimension(space, vectors.front().size(), vectors.back().size(), i, file_id,
                   "the first vector of the batch");
  }

  Transaction transaction(db_);
  if (!vectors.empty()) {
    Statement other = db_.Prepare(
        "SELECT dimension FROM embeddings WHERE space = ? AND file_id <> ? ORDER BY id LIMIT 1");
    other.Bind(1, space).Bind(2, file_id);
    if (other.Step()) {
      CheckDimension(space, static_cast<size_t>(other.ColumnInt(0)), vectors.front().size(), 0,
                     file_id, "the space");
    }
  }
  db_.Prepare("DELETE FROM embeddings WHERE file_id = ? AND space = ?")
      .Bind(1, file_id)
      .Bind(2, space)
      .Run();
  Statement insert = db_.Prepare(
      "INSERT INTO embeddings(file_id, segment_id, space, dimension, vector, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  double now = NowSeconds();
  std::vector<int64_t> ids;
  ids.reserve(vectors.size());
  for (size_t i = 0; i < vectors.size(); ++i) {
    std::vector<std::byte> bytes = EncodeVector(vectors[i]);
    insert.Bind(1, file_id).Bind(2, embeddings[i].segment_id).Bind(3, space);
    insert.Bind(4, static_cast<int64_t>(vectors[i].size())).BindBlob(5, bytes).Bind(6, now);
    insert.Run();
    ids.push_back(db_.LastInsertRowId());
  }
  transaction.Commit();
  return ids;
}

int64_t EmbeddingStore::DeleteFileVectors(int64_t file_id, std::optional<std::string_view> space) {
  if (space) {
    db_.Prepare("DELETE FROM embeddings WHERE file_id = ? AND space = ?")
        .Bind(1, file_id)
        .Bind(2, *space)
        .Run();
  } else {
    db_.Prepare("DELETE FROM embeddings WHERE file_id = ?").Bind(1, file_id).Run();
  }
  return db_.Changes();
}

std::vector<EmbeddingRecord> EmbeddingStore::ReadVectors(std::string_view space, int64_t after_id,
                                                         size_t limit, size_t* skipped) {
  if (skipped != nullptr) *skipped = 0;
  std::vector<EmbeddingRecord> records;
  std::optional<int> dimension = SpaceDimension(space);
  if (!dimension || limit == 0) return records;
  Statement rows = db_.Prepare(fmt::format(
      "SELECT {} FROM embeddings WHERE space = ? AND id > ? ORDER BY id LIMIT ?", kRecordColumns));
  rows.Bind(1, space).Bind(2, after_id).Bind(3, static_cast<int64_t>(limit));
  records.reserve(limit);
  while (rows.Step()) {
    std::optional<EmbeddingRecord> record = ReadRecord(rows, dimension, true);
    if (record) {
      records.push_back(std::move(*record));
    } else if (skipped != nullptr) {
      ++*skipped;
    }
  }
  return records;
}

std::vector<EmbeddingRecord> EmbeddingStore::ReadFileVectors(
    int64_t file_id, std::optional<std::string_view> space) {
  Statement rows = db_.Prepare(fmt::format(
      "SELECT {} FROM embeddings WHERE file_id = ? AND (?2 IS NULL OR space = ?2) ORDER BY id",
      kRecordColumns));
  rows.Bind(1, file_id);
  if (space) {
    rows.Bind(2, *space);
  } else {
    rows.BindNull(2);
  }
  std::vector<EmbeddingRecord> records;
  while (rows.Step()) {
    std::optional<EmbeddingRecord> record = ReadRecord(rows, std::nullopt, true);
    if (record) records.push_back(std::move(*record));
  }
  return records;
}

std::optional<EmbeddingRecord> EmbeddingStore::ReadVector(int64_t id) {
  Statement row =
      db_.Prepare(fmt::format("SELECT {} FROM embeddings WHERE id = ?", kRecordColumns));
  row.Bind(1, id);
  if (!row.Step()) return std::nullopt;
  std::optional<EmbeddingRecord> record = ReadRecord(row, std::nullopt, false);
  if (!record) {
    throw Error(fmt::format(
        "embedding {} in '{}' is damaged: its vector is not {} finite float32 values; store the "
        "file's vectors again",
        id, db_.path().string(), row.ColumnInt(4)));
  }
  return record;
}

std::vector<int64_t> EmbeddingStore::ListIds(std::string_view space) {
  Statement rows = db_.Prepare("SELECT id FROM embeddings WHERE space = ? ORDER BY id");
  rows.Bind(1, space);
  std::vector<int64_t> ids;
  while (rows.Step()) ids.push_back(rows.ColumnInt(0));
  return ids;
}

std::vector<EmbeddingKey> EmbeddingStore::ListKeys(std::string_view space) {
  Statement rows =
      db_.Prepare("SELECT id, file_id, created_at FROM embeddings WHERE space = ? ORDER BY id");
  rows.Bind(1, space);
  std::vector<EmbeddingKey> keys;
  while (rows.Step()) {
    keys.push_back({rows.ColumnInt(0), rows.ColumnInt(1), rows.ColumnDouble(2)});
  }
  return keys;
}

int64_t EmbeddingStore::Count(std::string_view space) {
  Statement row = db_.Prepare("SELECT COUNT(*) FROM embeddings WHERE space = ?");
  row.Bind(1, space);
  row.Step();
  return row.ColumnInt(0);
}

std::vector<SpaceInfo> EmbeddingStore::ListSpaces() {
  std::vector<SpaceInfo> spaces;
  {
    Statement rows =
        db_.Prepare("SELECT space, COUNT(*) FROM embeddings GROUP BY space ORDER BY space");
    while (rows.Step()) {
      SpaceInfo info;
      info.space = rows.ColumnText(0);
      info.count = rows.ColumnInt(1);
      spaces.push_back(std::move(info));
    }
  }
  for (SpaceInfo& info : spaces) info.dimension = SpaceDimension(info.space).value_or(0);
  return spaces;
}

std::optional<int> EmbeddingStore::SpaceDimension(std::string_view space) {
  Statement row =
      db_.Prepare("SELECT dimension FROM embeddings WHERE space = ? ORDER BY id LIMIT 1");
  row.Bind(1, space);
  if (!row.Step()) return std::nullopt;
  return static_cast<int>(row.ColumnInt(0));
}

std::vector<EmbeddingStore::FileWithoutVectors> EmbeddingStore::FilesWithoutVectors(
    std::string_view space, std::string_view kind, int64_t after_id, int64_t limit) {
  Statement select = db_.Prepare(
      "SELECT f.id, f.path, f.directory_id FROM files f WHERE f.kind = ? AND f.id > ? "
      "AND f.status = 'indexed' AND f.analyzed_at IS NOT NULL AND NOT EXISTS "
      "(SELECT 1 FROM embeddings e WHERE e.file_id = f.id AND e.space = ?) ORDER BY f.id LIMIT ?");
  select.Bind(1, kind).Bind(2, after_id).Bind(3, space).Bind(4, limit);
  return ReadFilesWithoutVectors(select);
}

std::vector<EmbeddingStore::FileWithoutVectors> EmbeddingStore::AudioFilesWithoutVectors(
    std::string_view space, int64_t after_id, int64_t limit) {
  return SegmentFilesWithoutVectors(space, "audio", after_id, limit);
}

std::vector<EmbeddingStore::FileWithoutVectors> EmbeddingStore::SegmentFilesWithoutVectors(
    std::string_view space, std::string_view track, int64_t after_id, int64_t limit) {
  Statement select = db_.Prepare(
      "SELECT f.id, f.path, f.directory_id FROM files f WHERE f.id > ? AND f.status = 'indexed' "
      "AND f.analyzed_at IS NOT NULL AND EXISTS (SELECT 1 FROM segments s WHERE s.file_id = f.id "
      "AND s.track = ?) AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.file_id = f.id "
      "AND e.space = ?) ORDER BY f.id LIMIT ?");
  select.Bind(1, after_id).Bind(2, track).Bind(3, space).Bind(4, limit);
  return ReadFilesWithoutVectors(select);
}

}  // namespace msearch::store
