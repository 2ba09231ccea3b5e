#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/media_info.h"
#include "store/sqlite.h"

namespace msearch::store {

struct DirectoryRecord {
  int64_t id = 0;
  std::string path;
  bool recursive = true;
  std::string state;  // initializing, monitoring, paused, error
  std::optional<std::string> error;
  bool from_config = false;
  double added_at = 0;
  std::optional<double> last_scan_at;
  // True when the directory is no longer watched (state "paused"). Its files
  // stay catalogued.
  bool detached = false;
};

// One file on disk as the scanner saw it.
struct FileObservation {
  int64_t directory_id = 0;
  std::string path;  // absolute
  std::string kind;  // image, video, audio
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  uint64_t device = 0;
};

struct FileRecord {
  int64_t id = 0;
  std::string uuid;
  int64_t directory_id = 0;
  std::string path;
  std::string name;
  std::string extension;  // lower case, with the dot
  std::string kind;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  uint64_t device = 0;
  std::optional<std::string> content_hash;
  std::string status;  // pending, processing, indexed, failed
  std::optional<std::string> error;
  std::optional<std::string> thumbnail_path;
  double created_at = 0;
  double updated_at = 0;
  std::optional<double> indexed_at;
};

// Kind of change UpsertFile made to the catalog.
enum class FileChange {
  kAdded,      // a new entry
  kModified,   // size, mtime or inode changed: the file needs processing again
  kRenamed,    // an entry whose file vanished moved to this path, keeping its uuid
  kUnchanged,  // nothing to do
};

struct UpsertOutcome {
  int64_t file_id = 0;
  std::string uuid;
  std::string path;
  int64_t directory_id = 0;
  FileChange change = FileChange::kUnchanged;
  std::string previous_path;  // for kRenamed
};

struct FileFilter {
  std::optional<std::string> kind;
  std::optional<std::string> status;
  std::optional<int64_t> directory_id;
  bool indexed_only = false;
  int64_t limit = 100;
  int64_t offset = 0;
};

struct CatalogCounts {
  int64_t total = 0;
  int64_t indexed = 0;
  int64_t pending = 0;
  int64_t processing = 0;
  int64_t failed = 0;
  std::map<std::string, int64_t> by_kind;
};

struct TextHit {
  FileRecord file;
  double score = 0;                         // higher is better, in (0, 1]
  std::vector<std::string> matched_fields;  // name, path, tags
};

// The catalog of watched directories, files, media metadata and the full-text
// index over names, paths and tags, in one SQLite database. Every process
// opens its own Catalog; one instance is used by one thread at a time.
class Catalog {
 public:
  // Opens or creates the database at `path` and brings its schema up to date.
  explicit Catalog(const std::filesystem::path& path);

  // Directories. AddDirectory returns the existing entry when `path` is
  // already watched, and attaches a detached entry again (state
  // "initializing").
  DirectoryRecord AddDirectory(const std::filesystem::path& path, bool recursive, bool from_config);
  std::vector<DirectoryRecord> ListDirectories();
  std::optional<DirectoryRecord> FindDirectory(int64_t id);
  std::optional<DirectoryRecord> FindDirectoryByPath(const std::filesystem::path& path);
  void SetDirectoryState(int64_t id, std::string_view state,
                         const std::optional<std::string>& error);
  void MarkDirectoryScanned(int64_t id);
  // Removes the directory and, through the foreign key, its files.
  bool RemoveDirectory(int64_t id);
  // Stops watching the directory (state "paused", detached) and keeps its
  // files. Returns false when there is no such directory.
  bool DetachDirectory(int64_t id);

  // Records one observation. Change detection compares size, mtime and
  // inode. A new path whose (device, inode, size, mtime) matches an entry
  // whose own path no longer exists on disk counts as a rename.
  UpsertOutcome UpsertFile(const FileObservation& observation);
  // The same for many files in one transaction.
  std::vector<UpsertOutcome> UpsertFiles(std::span<const FileObservation> observations);

  // Moves the entry at `old_path`, or every entry under it when it is a
  // directory, to `new_path`, keeping uuids and status. Entries already at
  // a destination path are removed first, as the rename on disk replaced
  // those files. Returns the number of entries moved (0 for an empty path).
  int64_t MovePath(const std::filesystem::path& old_path, const std::filesystem::path& new_path);
  // Removes the entry at `path`, or every entry under it when it is a
  // directory. Returns the number removed (0 for an empty path).
  int64_t RemovePath(const std::filesystem::path& path);
  int64_t RemoveFiles(std::span<const int64_t> file_ids);

  std::optional<FileRecord> FindFile(int64_t id);
  std::optional<FileRecord> FindFileByUuid(std::string_view uuid);
  std::optional<FileRecord> FindFileByPath(const std::filesystem::path& path);
  // Entries of one directory, ordered by path, for comparing with a scan.
  std::vector<FileRecord> FilesInDirectory(int64_t directory_id);
  std::vector<FileRecord> ListFiles(const FileFilter& filter);
  // Returns the files whose entry changed (status, path or content) after
  // `updated_after` (Unix seconds), oldest change first, at most `limit`.
  std::vector<FileRecord> FilesUpdatedSince(double updated_after, int64_t limit);
  int64_t CountFiles(const FileFilter& filter);
  CatalogCounts Counts(std::optional<int64_t> directory_id = std::nullopt);

  void SetFileStatus(int64_t file_id, std::string_view status,
                     const std::optional<std::string>& error);
  // Stores probe results and marks the file indexed, but only while the file
  // still has the size and mtime that were probed. Returns false, and changes
  // nothing, when the entry is gone or the file changed in the meantime.
  bool StoreProbeResult(int64_t file_id, uint64_t size, int64_t mtime_ns, const MediaInfo& info,
                        const std::optional<std::string>& content_hash);
  // Marks the file failed with `error`, unless it changed since it was read.
  bool StoreFileError(int64_t file_id, uint64_t size, int64_t mtime_ns, const std::string& error);
  void SetThumbnail(int64_t file_id, const std::optional<std::string>& thumbnail_path);
  std::optional<MediaInfo> GetMediaInfo(int64_t file_id);

  // Full-text search over names, paths and tags. Every word of `query` must
  // match; words shorter than three characters match as substrings.
  std::vector<TextHit> SearchText(std::string_view query, int64_t limit,
                                  const std::optional<std::string>& kind = std::nullopt);

  Database& database() { return db_; }

 private:
  UpsertOutcome UpsertFileLocked(const FileObservation& observation);
  // A prepared statement kept for reuse, reset and ready to bind. Statements
  // on the scan and worker paths use it; preparing costs more than running them.
  Statement& Cached(const std::string& sql);

  Database db_;
  std::unordered_map<std::string, Statement> statements_;
};

std::string_view FileChangeName(FileChange change);

}  // namespace msearch::store
