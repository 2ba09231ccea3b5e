#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/embedding_store.h"

namespace msearch::search {

// The record of one space's saved index in the index folder. It names the
// graph and keys files of one generation with their sizes and SHA-256
// digests, and a file that does not match them is not loaded.
struct IndexManifest {
  static constexpr int kFormat = 1;

  int format = kFormat;
  std::string space;
  size_t dimension = 0;
  size_t count = 0;    // vectors in the index
  size_t deleted = 0;  // deleted elements still in the graph
  uint64_t generation = 0;
  size_t m = 0;
  size_t ef_construction = 0;
  std::string graph_file;  // name inside the index folder
  uintmax_t graph_bytes = 0;
  std::string graph_sha256;
  std::string keys_file;
  uintmax_t keys_bytes = 0;
  std::string keys_sha256;
  int64_t catalog_max_id = 0;  // highest embedding id in the index when saved
  double saved_at = 0;         // Unix seconds
};

std::string ManifestToJson(const IndexManifest& manifest);
// Parses a manifest. Throws Error naming `source` when the JSON is invalid,
// a field is missing or has the wrong type, or the format is unknown.
IndexManifest ParseManifest(std::string_view json, const std::filesystem::path& source);

// Returns a file name stem for `space`. It keeps letters, digits, '.', '_'
// and '-' and turns other characters into '_'. Then it appends '-' and the
// first 8 hex digits of the SHA-256 of the exact name, so two names that
// differ only in replaced characters do not share files.
std::string SpaceFileStem(std::string_view space);

// SHA-256 of a file's contents as 64 lower-case hex digits. Throws Error
// naming the file when it cannot be read.
std::string Sha256OfFile(const std::filesystem::path& path);

// Flushes a file, or a folder's entries, to disk. Throws Error naming the
// path on failure.
void FsyncFile(const std::filesystem::path& path);
void FsyncDirectory(const std::filesystem::path& path);

// Replaces `path` with `contents` so that a crash leaves either the old or
// the new file: writes a temporary file beside it, flushes it, renames it
// over `path` and flushes the folder. Throws Error on failure.
void WriteFileAtomically(const std::filesystem::path& path, std::string_view contents);

// Reads a whole file. Throws Error naming it when it cannot be read.
std::string ReadWholeFile(const std::filesystem::path& path);

// The keys file: an 8-byte magic, a little-endian uint64 count, then per key
// its id, file id (int64) and created_at (float64), little-endian.
void WriteKeysFile(const std::filesystem::path& path, std::span<const store::EmbeddingKey> keys);
// Throws Error naming `path` when the magic or the size is wrong or the ids
// are not strictly ascending.
std::vector<store::EmbeddingKey> ReadKeysFile(const std::filesystem::path& path);

}  // namespace msearch::search
