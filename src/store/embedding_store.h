#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite.h"

namespace msearch::store {

// One vector to store for a file: the whole file (no segment) or one segment.
struct NewEmbedding {
  std::optional<int64_t> segment_id;
  std::vector<float> vector;  // finite, not all zero; stored L2-normalised
};

// One row of the embeddings table.
struct EmbeddingRecord {
  int64_t id = 0;
  int64_t file_id = 0;
  std::optional<int64_t> segment_id;
  std::string space;
  std::vector<float> vector;  // L2-normalised
  double created_at = 0;      // Unix seconds
};

// The columns that identify a stored vector without reading it. A row id
// can be reused after the row with the highest id is deleted, so the vector
// index compares created_at as well to notice a reused id.
struct EmbeddingKey {
  int64_t id = 0;
  int64_t file_id = 0;
  double created_at = 0;

  friend bool operator==(const EmbeddingKey&, const EmbeddingKey&) = default;
};

// An embedding space (a model and the modality it encodes) and its vectors.
struct SpaceInfo {
  std::string space;
  int dimension = 0;  // of the space's oldest vector
  int64_t count = 0;
};

// Reads and writes the embedding vectors of the catalog database: float32
// little-endian BLOBs of `dimension` elements, L2-normalised. Every vector
// of a space has the dimension of the space's first vector. One instance per
// thread, like the Database it uses; the schema must already be migrated.
class EmbeddingStore {
 public:
  explicit EmbeddingStore(Database& db) : db_(db) {}

  // Replaces the vectors of `space` of `file_id` with `embeddings` in one
  // transaction and returns their new ids in the order given. Vectors that
  // are not unit length are normalised. Throws Error, storing nothing, when
  // the space name is empty, a vector is empty, contains a non-finite value
  // or is all zeros, or its length differs from the other vectors of the
  // batch or of the space (the message names the space and both sizes).
  // Throws SqliteError when the file or a segment does not exist.
  std::vector<int64_t> ReplaceFileVectors(int64_t file_id, std::string_view space,
                                          std::span<const NewEmbedding> embeddings);

  // Deletes the vectors of `file_id` (of every space, or of `space` when
  // given) and returns the number of rows deleted.
  int64_t DeleteFileVectors(int64_t file_id, std::optional<std::string_view> space = std::nullopt);

  // Reads at most `limit` vectors of `space` whose id is above `after_id`,
  // in id order, for rebuilding an index chunk by chunk: pass the last id
  // returned to get the next chunk. A row whose BLOB does not hold
  // `dimension` finite floats is skipped with a warning, so one damaged row
  // cannot stop a rebuild; `skipped`, when given, receives the number of
  // rows skipped.
  std::vector<EmbeddingRecord> ReadVectors(std::string_view space, int64_t after_id, size_t limit,
                                           size_t* skipped = nullptr);

  // Reads the vectors of one file (of every space, or of `space`), in id
  // order, skipping damaged rows as ReadVectors does.
  std::vector<EmbeddingRecord> ReadFileVectors(
      int64_t file_id, std::optional<std::string_view> space = std::nullopt);

  // Reads one vector. Returns nullopt when no row has this id. Throws Error
  // when the stored BLOB is damaged.
  std::optional<EmbeddingRecord> ReadVector(int64_t id);

  // Ids of the vectors of `space`, ascending.
  std::vector<int64_t> ListIds(std::string_view space);
  // Keys of the vectors of `space`, ascending by id.
  std::vector<EmbeddingKey> ListKeys(std::string_view space);

  int64_t Count(std::string_view space);
  // Every space with at least one vector, by name.
  std::vector<SpaceInfo> ListSpaces();
  // Analysed, indexed files of `kind` with an id above `after_id` that have no
  // vector in `space`, by id, at most `limit`: (id, path, directory id).
  struct FileWithoutVectors {
    int64_t id = 0;
    std::string path;
    int64_t directory_id = 0;
  };
  std::vector<FileWithoutVectors> FilesWithoutVectors(std::string_view space, std::string_view kind,
                                                      int64_t after_id, int64_t limit);
  // Analysed, indexed files with an id above `after_id` that have audio
  // windows (segments of the audio track) but no vector in `space`, by id,
  // at most `limit`.
  std::vector<FileWithoutVectors> AudioFilesWithoutVectors(std::string_view space, int64_t after_id,
                                                           int64_t limit);
  // Returns the analysed, indexed files with an id above `after_id` that
  // have segments of `track` ("video" or "audio") but no vector in `space`,
  // ordered by id, at most `limit`.
  std::vector<FileWithoutVectors> SegmentFilesWithoutVectors(std::string_view space,
                                                             std::string_view track,
                                                             int64_t after_id, int64_t limit);
  // The dimension of the vectors of `space`, or nullopt when it has none.
  std::optional<int> SpaceDimension(std::string_view space);

 private:
  Database& db_;
};

}  // namespace msearch::store
