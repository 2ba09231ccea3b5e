#include "store/catalog.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/uuid.h"
#include "store/catalog_schema.h"
#include "store/text_query.h"

namespace msearch::store {
namespace {

constexpr std::string_view kFileColumns =
    "id, uuid, directory_id, path, name, extension, kind, size, mtime_ns, inode, device, "
    "content_hash, status, error, thumbnail_path, created_at, updated_at, indexed_at";

FileRecord ReadFile(const Statement& row, int first = 0) {
  FileRecord file;
  file.id = row.ColumnInt(first + 0);
  file.uuid = row.ColumnText(first + 1);
  file.directory_id = row.ColumnInt(first + 2);
  file.path = row.ColumnText(first + 3);
  file.name = row.ColumnText(first + 4);
  file.extension = row.ColumnText(first + 5);
  file.kind = row.ColumnText(first + 6);
  file.size = static_cast<uint64_t>(row.ColumnInt(first + 7));
  file.mtime_ns = row.ColumnInt(first + 8);
  file.inode = static_cast<uint64_t>(row.ColumnInt(first + 9));
  file.device = static_cast<uint64_t>(row.ColumnInt(first + 10));
  file.content_hash = row.ColumnOptionalText(first + 11);
  file.status = row.ColumnText(first + 12);
  file.error = row.ColumnOptionalText(first + 13);
  file.thumbnail_path = row.ColumnOptionalText(first + 14);
  file.created_at = row.ColumnDouble(first + 15);
  file.updated_at = row.ColumnDouble(first + 16);
  file.indexed_at = row.ColumnOptionalDouble(first + 17);
  return file;
}

DirectoryRecord ReadDirectory(const Statement& row) {
  DirectoryRecord directory;
  directory.id = row.ColumnInt(0);
  directory.path = row.ColumnText(1);
  directory.recursive = row.ColumnInt(2) != 0;
  directory.state = row.ColumnText(3);
  directory.error = row.ColumnOptionalText(4);
  directory.from_config = row.ColumnInt(5) != 0;
  directory.added_at = row.ColumnDouble(6);
  directory.last_scan_at = row.ColumnOptionalDouble(7);
  directory.detached = row.ColumnInt(8) != 0;
  return directory;
}

constexpr std::string_view kDirectoryColumns =
    "id, path, recursive, state, error, from_config, added_at, last_scan_at, detached";

std::string LowerExtension(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

// The prefix that every path below `directory` starts with.
std::string DirectoryPrefix(const std::filesystem::path& directory) {
  std::string prefix = directory.string();
  if (prefix.empty() || prefix.back() != '/') prefix.push_back('/');
  return prefix;
}

// Returns the smallest string above every string that starts with `prefix`.
// Because `prefix` ends in '/', that is `prefix` with its last byte replaced
// by the next byte value, '0'. The range [prefix, DirectoryEnd(prefix))
// compares bytes (BINARY collation), so unlike LIKE it is case-sensitive, as
// Linux paths are, and it can use the index on files.path.
std::string DirectoryEnd(std::string prefix) {
  prefix.back() = static_cast<char>('/' + 1);
  return prefix;
}

std::string FlattenTags(const MediaInfo& info) {
  std::ostringstream text;
  for (const auto& [key, value] : info.tags) text << value << '\n';
  for (const auto& [key, value] : info.exif.items()) {
    if (value.is_string()) text << value.get<std::string>() << '\n';
  }
  return text.str();
}

}  // namespace

std::string_view FileChangeName(FileChange change) {
  switch (change) {
    case FileChange::kAdded:
      return "added";
    case FileChange::kModified:
      return "modified";
    case FileChange::kRenamed:
      return "renamed";
    case FileChange::kUnchanged:
      return "unchanged";
  }
  return "unknown";
}

Catalog::Catalog(const std::filesystem::path& path) : db_(path) {
  ApplyMigrations(db_, "catalog", CatalogMigrations());
}

Statement& Catalog::Cached(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) it = statements_.emplace(sql, db_.Prepare(sql)).first;
  // A previous use may have stopped mid-way (an early return or an exception).
  it->second.Reset();
  return it->second;
}

DirectoryRecord Catalog::AddDirectory(const std::filesystem::path& path, bool recursive,
                                      bool from_config) {
  Statement insert = db_.Prepare(
      "INSERT INTO directories(path, recursive, from_config, added_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT(path) DO UPDATE SET recursive = excluded.recursive, "
      "state = CASE WHEN detached = 1 THEN 'initializing' ELSE state END, detached = 0");
  insert.Bind(1, path.string()).Bind(2, recursive ? 1 : 0).Bind(3, from_config ? 1 : 0);
  insert.Bind(4, NowSeconds()).Run();
  return *FindDirectoryByPath(path);
}

std::vector<DirectoryRecord> Catalog::ListDirectories() {
  Statement query =
      db_.Prepare(fmt::format("SELECT {} FROM directories ORDER BY path", kDirectoryColumns));
  std::vector<DirectoryRecord> directories;
  while (query.Step()) directories.push_back(ReadDirectory(query));
  return directories;
}

std::optional<DirectoryRecord> Catalog::FindDirectory(int64_t id) {
  Statement query =
      db_.Prepare(fmt::format("SELECT {} FROM directories WHERE id = ?", kDirectoryColumns));
  query.Bind(1, id);
  if (!query.Step()) return std::nullopt;
  return ReadDirectory(query);
}

std::optional<DirectoryRecord> Catalog::FindDirectoryByPath(const std::filesystem::path& path) {
  Statement query =
      db_.Prepare(fmt::format("SELECT {} FROM directories WHERE path = ?", kDirectoryColumns));
  query.Bind(1, path.string());
  if (!query.Step()) return std::nullopt;
  return ReadDirectory(query);
}

void Catalog::SetDirectoryState(int64_t id, std::string_view state,
                                const std::optional<std::string>& error) {
  Statement update = db_.Prepare("UPDATE directories SET state = ?, error = ? WHERE id = ?");
  update.Bind(1, state).Bind(2, error).Bind(3, id).Run();
}

bool Catalog::DetachDirectory(int64_t id) {
  Statement update =
      db_.Prepare("UPDATE directories SET state = 'paused', detached = 1 WHERE id = ?");
  update.Bind(1, id).Run();
  return db_.Changes() > 0;
}

void Catalog::MarkDirectoryScanned(int64_t id) {
  Statement update = db_.Prepare("UPDATE directories SET last_scan_at = ? WHERE id = ?");
  update.Bind(1, NowSeconds()).Bind(2, id).Run();
}

bool Catalog::RemoveDirectory(int64_t id) {
  Transaction transaction(db_);
  Statement remove = db_.Prepare("DELETE FROM directories WHERE id = ?");
  remove.Bind(1, id).Run();
  bool removed = db_.Changes() > 0;
  transaction.Commit();
  return removed;
}

UpsertOutcome Catalog::UpsertFile(const FileObservation& observation) {
  Transaction transaction(db_);
  UpsertOutcome outcome = UpsertFileLocked(observation);
  transaction.Commit();
  return outcome;
}

std::vector<UpsertOutcome> Catalog::UpsertFiles(std::span<const FileObservation> observations) {
  std::vector<UpsertOutcome> outcomes;
  outcomes.reserve(observations.size());
  Transaction transaction(db_);
  for (const FileObservation& observation : observations) {
    outcomes.push_back(UpsertFileLocked(observation));
  }
  transaction.Commit();
  return outcomes;
}

UpsertOutcome Catalog::UpsertFileLocked(const FileObservation& observation) {
  const double now = NowSeconds();
  UpsertOutcome outcome;
  outcome.path = observation.path;
  outcome.directory_id = observation.directory_id;

  Statement& existing =
      Cached("SELECT id, uuid, size, mtime_ns, inode, device FROM files WHERE path = ?");
  existing.Bind(1, observation.path);
  if (existing.Step()) {
    outcome.file_id = existing.ColumnInt(0);
    outcome.uuid = existing.ColumnText(1);
    bool same = static_cast<uint64_t>(existing.ColumnInt(2)) == observation.size &&
                existing.ColumnInt(3) == observation.mtime_ns &&
                static_cast<uint64_t>(existing.ColumnInt(4)) == observation.inode &&
                static_cast<uint64_t>(existing.ColumnInt(5)) == observation.device;
    existing.Reset();
    if (same) return outcome;
    Statement& update = Cached(
        "UPDATE files SET size = ?, mtime_ns = ?, inode = ?, device = ?, kind = ?, "
        "directory_id = ?, status = 'pending', error = NULL, content_hash = NULL, "
        "full_hash = NULL, perceptual_hash = NULL, analyzed_at = NULL, updated_at = ? "
        "WHERE id = ?");
    update.Bind(1, static_cast<int64_t>(observation.size)).Bind(2, observation.mtime_ns);
    update.Bind(3, static_cast<int64_t>(observation.inode));
    update.Bind(4, static_cast<int64_t>(observation.device)).Bind(5, observation.kind);
    update.Bind(6, observation.directory_id).Bind(7, now).Bind(8, outcome.file_id).Run();
    // What was extracted from the old content must not be found any more.
    for (const char* sql :
         {"DELETE FROM segments WHERE file_id = ?", "DELETE FROM texts WHERE file_id = ?",
          "DELETE FROM fingerprints WHERE file_id = ?",
          "DELETE FROM embeddings WHERE file_id = ?"}) {
      Cached(sql).Bind(1, outcome.file_id).Run();
    }
    outcome.change = FileChange::kModified;
    return outcome;
  }

  // A rename shows up as a new path carrying the identity of an entry whose
  // own path is gone. Checking the old path on disk keeps hard links (two
  // live paths, one inode) as two entries.
  Statement& candidates = Cached(
      "SELECT id, uuid, path FROM files WHERE device = ? AND inode = ? AND size = ? AND "
      "mtime_ns = ?");
  candidates.Bind(1, static_cast<int64_t>(observation.device));
  candidates.Bind(2, static_cast<int64_t>(observation.inode));
  candidates.Bind(3, static_cast<int64_t>(observation.size)).Bind(4, observation.mtime_ns);
  while (candidates.Step()) {
    std::string old_path = candidates.ColumnText(2);
    std::error_code error;
    if (std::filesystem::exists(std::filesystem::symlink_status(old_path, error))) continue;
    outcome.file_id = candidates.ColumnInt(0);
    outcome.uuid = candidates.ColumnText(1);
    outcome.previous_path = old_path;
    candidates.Reset();
    std::filesystem::path new_path = observation.path;
    Statement& move = Cached(
        "UPDATE files SET path = ?, name = ?, extension = ?, directory_id = ?, updated_at = ? "
        "WHERE id = ?");
    move.Bind(1, observation.path).Bind(2, new_path.filename().string());
    move.Bind(3, LowerExtension(new_path)).Bind(4, observation.directory_id).Bind(5, now);
    move.Bind(6, outcome.file_id).Run();
    outcome.change = FileChange::kRenamed;
    return outcome;
  }

  std::filesystem::path path = observation.path;
  outcome.uuid = NewUuid();
  Statement& insert = Cached(
      "INSERT INTO files(uuid, directory_id, path, name, extension, kind, size, mtime_ns, inode, "
      "device, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.Bind(1, outcome.uuid).Bind(2, observation.directory_id).Bind(3, observation.path);
  insert.Bind(4, path.filename().string()).Bind(5, LowerExtension(path));
  insert.Bind(6, observation.kind).Bind(7, static_cast<int64_t>(observation.size));
  insert.Bind(8, observation.mtime_ns).Bind(9, static_cast<int64_t>(observation.inode));
  insert.Bind(10, static_cast<int64_t>(observation.device)).Bind(11, now).Bind(12, now).Run();
  outcome.file_id = db_.LastInsertRowId();
  outcome.change = FileChange::kAdded;
  return outcome;
}

int64_t Catalog::MovePath(const std::filesystem::path& old_path,
                          const std::filesystem::path& new_path) {
  // An empty path would turn into the prefix "/" and match every entry.
  if (old_path.empty() || new_path.empty()) return 0;
  Transaction transaction(db_);
  const double now = NowSeconds();

  // Collect the moves first: updating rows while a query walks the path
  // index could visit a moved row twice.
  std::vector<std::pair<int64_t, std::string>> moves;
  Statement single = db_.Prepare("SELECT id FROM files WHERE path = ?");
  single.Bind(1, old_path.string());
  if (single.Step()) moves.emplace_back(single.ColumnInt(0), new_path.string());
  single.Reset();

  const std::string old_prefix = DirectoryPrefix(old_path);
  const std::string new_prefix = DirectoryPrefix(new_path);
  Statement tree = db_.Prepare("SELECT id, path FROM files WHERE path >= ? AND path < ?");
  tree.Bind(1, old_prefix).Bind(2, DirectoryEnd(old_prefix));
  while (tree.Step()) {
    moves.emplace_back(tree.ColumnInt(0),
                       new_prefix + tree.ColumnText(1).substr(old_prefix.size()));
  }
  tree.Reset();

  // A rename on disk replaces whatever was at the destination, so entries
  // there are stale and give way to the moved ones.
  Statement remove_target = db_.Prepare("DELETE FROM files WHERE path = ? AND id != ?");
  Statement move = db_.Prepare(
      "UPDATE files SET path = ?, name = ?, extension = ?, updated_at = ? WHERE id = ?");
  for (const auto& [id, destination] : moves) {
    remove_target.Bind(1, destination).Bind(2, id).Run();
    std::filesystem::path destination_path = destination;
    move.Bind(1, destination).Bind(2, destination_path.filename().string());
    move.Bind(3, LowerExtension(destination_path)).Bind(4, now).Bind(5, id).Run();
  }

  transaction.Commit();
  return static_cast<int64_t>(moves.size());
}

int64_t Catalog::RemovePath(const std::filesystem::path& path) {
  if (path.empty()) return 0;
  Transaction transaction(db_);
  Statement single = db_.Prepare("DELETE FROM files WHERE path = ?");
  single.Bind(1, path.string()).Run();
  int64_t removed = db_.Changes();
  const std::string prefix = DirectoryPrefix(path);
  Statement tree = db_.Prepare("DELETE FROM files WHERE path >= ? AND path < ?");
  tree.Bind(1, prefix).Bind(2, DirectoryEnd(prefix)).Run();
  removed += db_.Changes();
  transaction.Commit();
  return removed;
}

int64_t Catalog::RemoveFiles(std::span<const int64_t> file_ids) {
  Transaction transaction(db_);
  Statement remove = db_.Prepare("DELETE FROM files WHERE id = ?");
  int64_t removed = 0;
  for (int64_t id : file_ids) {
    remove.Bind(1, id).Run();
    removed += db_.Changes();
  }
  transaction.Commit();
  return removed;
}

std::optional<FileRecord> Catalog::FindFile(int64_t id) {
  Statement& query = Cached(fmt::format("SELECT {} FROM files WHERE id = ?", kFileColumns));
  query.Bind(1, id);
  if (!query.Step()) return std::nullopt;
  FileRecord file = ReadFile(query);
  query.Reset();
  return file;
}

std::optional<FileRecord> Catalog::FindFileByUuid(std::string_view uuid) {
  Statement query = db_.Prepare(fmt::format("SELECT {} FROM files WHERE uuid = ?", kFileColumns));
  query.Bind(1, uuid);
  if (!query.Step()) return std::nullopt;
  return ReadFile(query);
}

std::optional<FileRecord> Catalog::FindFileByPath(const std::filesystem::path& path) {
  Statement query = db_.Prepare(fmt::format("SELECT {} FROM files WHERE path = ?", kFileColumns));
  query.Bind(1, path.string());
  if (!query.Step()) return std::nullopt;
  return ReadFile(query);
}

std::vector<FileRecord> Catalog::FilesInDirectory(int64_t directory_id) {
  Statement query = db_.Prepare(
      fmt::format("SELECT {} FROM files WHERE directory_id = ? ORDER BY path", kFileColumns));
  query.Bind(1, directory_id);
  std::vector<FileRecord> files;
  while (query.Step()) files.push_back(ReadFile(query));
  return files;
}

namespace {

// Builds the WHERE clause shared by ListFiles and CountFiles and binds its
// values once the statement exists.
struct FilterClause {
  std::string sql;
  std::vector<std::string> text_values;
  std::optional<int64_t> directory_id;

  explicit FilterClause(const FileFilter& filter) {
    std::vector<std::string> conditions;
    if (filter.kind) {
      conditions.push_back("kind = ?");
      text_values.push_back(*filter.kind);
    }
    if (filter.status) {
      conditions.push_back("status = ?");
      text_values.push_back(*filter.status);
    }
    if (filter.indexed_only) conditions.push_back("status = 'indexed'");
    if (filter.directory_id) {
      conditions.push_back("directory_id = ?");
      directory_id = filter.directory_id;
    }
    if (!conditions.empty()) sql = " WHERE " + fmt::format("{}", fmt::join(conditions, " AND "));
  }

  int Bind(Statement& statement) const {
    int index = 1;
    for (const std::string& value : text_values) statement.Bind(index++, value);
    if (directory_id) statement.Bind(index++, *directory_id);
    return index;
  }
};

}  // namespace

std::vector<FileRecord> Catalog::ListFiles(const FileFilter& filter) {
  FilterClause clause(filter);
  Statement query = db_.Prepare(fmt::format("SELECT {} FROM files{} ORDER BY path LIMIT ? OFFSET ?",
                                            kFileColumns, clause.sql));
  int next = clause.Bind(query);
  query.Bind(next, filter.limit).Bind(next + 1, filter.offset);
  std::vector<FileRecord> files;
  while (query.Step()) files.push_back(ReadFile(query));
  return files;
}

std::vector<FileRecord> Catalog::FilesUpdatedSince(double updated_after, int64_t limit) {
  Statement query = db_.Prepare(fmt::format(
      "SELECT {} FROM files WHERE updated_at > ? ORDER BY updated_at, id LIMIT ?", kFileColumns));
  query.Bind(1, updated_after).Bind(2, limit);
  std::vector<FileRecord> files;
  while (query.Step()) files.push_back(ReadFile(query));
  return files;
}

int64_t Catalog::CountFiles(const FileFilter& filter) {
  FilterClause clause(filter);
  Statement query = db_.Prepare("SELECT count(*) FROM files" + clause.sql);
  clause.Bind(query);
  query.Step();
  return query.ColumnInt(0);
}

CatalogCounts Catalog::Counts(std::optional<int64_t> directory_id) {
  CatalogCounts counts;
  std::string where = directory_id ? " WHERE directory_id = ?" : "";
  Statement by_status =
      db_.Prepare("SELECT status, count(*) FROM files" + where + " GROUP BY status");
  if (directory_id) by_status.Bind(1, *directory_id);
  while (by_status.Step()) {
    std::string status = by_status.ColumnText(0);
    int64_t count = by_status.ColumnInt(1);
    counts.total += count;
    if (status == "indexed") counts.indexed = count;
    if (status == "pending") counts.pending = count;
    if (status == "processing") counts.processing = count;
    if (status == "failed") counts.failed = count;
  }
  Statement by_kind = db_.Prepare("SELECT kind, count(*) FROM files" + where + " GROUP BY kind");
  if (directory_id) by_kind.Bind(1, *directory_id);
  while (by_kind.Step()) counts.by_kind[by_kind.ColumnText(0)] = by_kind.ColumnInt(1);
  return counts;
}

void Catalog::SetFileStatus(int64_t file_id, std::string_view status,
                            const std::optional<std::string>& error) {
  Statement update =
      db_.Prepare("UPDATE files SET status = ?, error = ?, updated_at = ? WHERE id = ?");
  update.Bind(1, status).Bind(2, error).Bind(3, NowSeconds()).Bind(4, file_id).Run();
}

bool Catalog::StoreProbeResult(int64_t file_id, uint64_t size, int64_t mtime_ns,
                               const MediaInfo& info,
                               const std::optional<std::string>& content_hash) {
  Transaction transaction(db_);
  const double now = NowSeconds();
  Statement update = db_.Prepare(
      "UPDATE files SET status = 'indexed', error = NULL, content_hash = ?, indexed_at = ?, "
      "updated_at = ? WHERE id = ? AND size = ? AND mtime_ns = ?");
  update.Bind(1, content_hash).Bind(2, now).Bind(3, now).Bind(4, file_id);
  update.Bind(5, static_cast<int64_t>(size)).Bind(6, mtime_ns).Run();
  if (db_.Changes() == 0) return false;

  Statement metadata = db_.Prepare(
      "INSERT OR REPLACE INTO media_metadata(file_id, format, width, height, duration, rotation, "
      "has_video, has_audio, info, probed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  metadata.Bind(1, file_id).Bind(2, info.format).Bind(3, info.width).Bind(4, info.height);
  metadata.Bind(5, info.duration).Bind(6, info.rotation).Bind(7, info.has_video ? 1 : 0);
  metadata.Bind(8, info.has_audio ? 1 : 0).Bind(9, info.ToJson().dump()).Bind(10, now).Run();

  Statement tags = db_.Prepare("UPDATE files_fts SET tags = ? WHERE rowid = ?");
  tags.Bind(1, FlattenTags(info)).Bind(2, file_id).Run();
  transaction.Commit();
  return true;
}

bool Catalog::StoreFileError(int64_t file_id, uint64_t size, int64_t mtime_ns,
                             const std::string& error) {
  Statement update = db_.Prepare(
      "UPDATE files SET status = 'failed', error = ?, updated_at = ? "
      "WHERE id = ? AND size = ? AND mtime_ns = ?");
  update.Bind(1, error).Bind(2, NowSeconds()).Bind(3, file_id);
  update.Bind(4, static_cast<int64_t>(size)).Bind(5, mtime_ns).Run();
  return db_.Changes() > 0;
}

void Catalog::SetThumbnail(int64_t file_id, const std::optional<std::string>& thumbnail_path) {
  Statement update = db_.Prepare("UPDATE files SET thumbnail_path = ? WHERE id = ?");
  update.Bind(1, thumbnail_path).Bind(2, file_id).Run();
}

std::optional<MediaInfo> Catalog::GetMediaInfo(int64_t file_id) {
  Statement query = db_.Prepare("SELECT info FROM media_metadata WHERE file_id = ?");
  query.Bind(1, file_id);
  if (!query.Step()) return std::nullopt;
  return MediaInfo::FromJson(nlohmann::json::parse(query.ColumnText(0)));
}

std::vector<TextHit> Catalog::SearchText(std::string_view query, int64_t limit,
                                         const std::optional<std::string>& kind) {
  std::vector<std::string> words = SplitWords(query);
  if (words.empty() || limit <= 0) return {};

  std::vector<std::string> phrases;
  std::vector<std::string> short_words;
  for (const std::string& word : words) {
    if (CodePoints(word) >= 3) {
      phrases.push_back(QuoteFtsPhrase(word));
    } else {
      short_words.push_back(word);
    }
  }

  // bm25 weights: a hit in the name counts most, then tags, then the path.
  std::string sql = fmt::format(
      "SELECT {}, {} AS rank FROM files_fts JOIN files f ON f.id = files_fts.rowid WHERE 1",
      [] {
        std::string columns;
        for (std::string_view column :
             {"id", "uuid", "directory_id", "path", "name", "extension", "kind", "size", "mtime_ns",
              "inode", "device", "content_hash", "status", "error", "thumbnail_path", "created_at",
              "updated_at", "indexed_at"}) {
          if (!columns.empty()) columns += ", ";
          columns += "f.";
          columns += column;
        }
        return columns;
      }(),
      phrases.empty() ? "0.0" : "bm25(files_fts, 10.0, 1.0, 4.0)");
  if (!phrases.empty()) sql += " AND files_fts MATCH ?";
  for (size_t i = 0; i < short_words.size(); ++i) {
    sql +=
        " AND (files_fts.name LIKE ? ESCAPE '\\' OR files_fts.path LIKE ? ESCAPE '\\' OR "
        "files_fts.tags LIKE ? ESCAPE '\\')";
  }
  if (kind) sql += " AND f.kind = ?";
  sql += " ORDER BY rank, f.name LIMIT ?";

  Statement statement = db_.Prepare(sql);
  int index = 1;
  if (!phrases.empty()) statement.Bind(index++, fmt::format("{}", fmt::join(phrases, " AND ")));
  for (const std::string& word : short_words) {
    std::string pattern = fmt::format("%{}%", EscapeLike(word));
    for (int column = 0; column < 3; ++column) statement.Bind(index++, pattern);
  }
  if (kind) statement.Bind(index++, *kind);
  statement.Bind(index, limit);

  std::vector<TextHit> hits;
  while (statement.Step()) {
    TextHit hit;
    hit.file = ReadFile(statement);
    // bm25 returns lower-is-better negative numbers; map them into (0, 1].
    hit.score = phrases.empty() ? 0.5 : ScoreFromBm25(statement.ColumnDouble(18));
    hits.push_back(std::move(hit));
  }

  // Name which fields matched, so results can explain themselves.
  for (TextHit& hit : hits) {
    auto contains = [](const std::string& haystack, const std::string& needle) {
      std::string lower_haystack = haystack;
      std::string lower_needle = needle;
      auto lower = [](std::string& text) {
        std::transform(text.begin(), text.end(), text.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      };
      lower(lower_haystack);
      lower(lower_needle);
      return lower_haystack.find(lower_needle) != std::string::npos;
    };
    bool in_name = std::all_of(words.begin(), words.end(),
                               [&](const std::string& w) { return contains(hit.file.name, w); });
    bool in_path = std::all_of(words.begin(), words.end(),
                               [&](const std::string& w) { return contains(hit.file.path, w); });
    if (in_name) hit.matched_fields.push_back("name");
    if (in_path) hit.matched_fields.push_back("path");
    if (!in_name && !in_path) hit.matched_fields.push_back("tags");
  }
  return hits;
}

}  // namespace msearch::store
