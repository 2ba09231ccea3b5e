#include "store/extraction_store.h"

#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/error.h"
#include "store/text_query.h"

namespace msearch::store {
namespace {

void CheckSegments(int64_t file_id, std::string_view track,
                   std::span<const SegmentRecord> segments) {
  if (track != "video" && track != "audio") {
    throw Error(fmt::format("segment track '{}' of file {} is neither 'video' nor 'audio'", track,
                            file_id));
  }
  std::set<int> indexes;
  for (const SegmentRecord& segment : segments) {
    if (!std::isfinite(segment.start_s) || !std::isfinite(segment.end_s) ||
        !std::isfinite(segment.representative_s) || segment.end_s < segment.start_s) {
      throw Error(fmt::format("segment {} of file {} has an invalid time range {}..{} s",
                              segment.index, file_id, segment.start_s, segment.end_s));
    }
    if (!indexes.insert(segment.index).second) {
      throw Error(fmt::format("segment index {} of file {} repeats", segment.index, file_id));
    }
  }
}

// Hashes are 64-bit unsigned; SQLite integers are signed. The bit pattern
// is kept as is.
int64_t ToColumn(uint64_t hash) {
  int64_t value = 0;
  std::memcpy(&value, &hash, sizeof(value));
  return value;
}

uint64_t FromColumn(int64_t value) {
  uint64_t hash = 0;
  std::memcpy(&hash, &value, sizeof(hash));
  return hash;
}

std::optional<int64_t> OptionalHash(const std::optional<uint64_t>& hash) {
  if (!hash) return std::nullopt;
  return ToColumn(*hash);
}

SegmentRecord ReadSegment(const Statement& row) {
  SegmentRecord segment;
  segment.id = row.ColumnInt(0);
  segment.file_id = row.ColumnInt(1);
  segment.track = row.ColumnText(2);
  segment.index = static_cast<int>(row.ColumnInt(3));
  segment.start_s = row.ColumnDouble(4);
  segment.end_s = row.ColumnDouble(5);
  segment.representative_s = row.ColumnDouble(6);
  segment.thumbnail_path = row.ColumnOptionalText(7);
  if (std::optional<int64_t> hash = row.ColumnOptionalInt(8)) {
    segment.perceptual_hash = FromColumn(*hash);
  }
  return segment;
}

constexpr std::string_view kSegmentColumns =
    "id, file_id, track, segment_index, start_s, end_s, representative_s, thumbnail_path, "
    "perceptual_hash";

}  // namespace

std::vector<int64_t> ExtractionStore::ReplaceSegments(int64_t file_id, std::string_view track,
                                                      std::span<const SegmentRecord> segments) {
  CheckSegments(file_id, track, segments);
  Transaction transaction(db_);
  db_.Prepare("DELETE FROM segments WHERE file_id = ? AND track = ?")
      .Bind(1, file_id)
      .Bind(2, track)
      .Run();
  Statement insert = db_.Prepare(
      "INSERT INTO segments(file_id, track, segment_index, start_s, end_s, representative_s, "
      "thumbnail_path, perceptual_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  std::vector<int64_t> ids;
  ids.reserve(segments.size());
  for (const SegmentRecord& segment : segments) {
    insert.Bind(1, file_id).Bind(2, track).Bind(3, segment.index).Bind(4, segment.start_s);
    insert.Bind(5, segment.end_s).Bind(6, segment.representative_s);
    insert.Bind(7, segment.thumbnail_path).Bind(8, OptionalHash(segment.perceptual_hash));
    insert.Run();
    ids.push_back(db_.LastInsertRowId());
  }
  transaction.Commit();
  return ids;
}

std::vector<SegmentRecord> ExtractionStore::Segments(int64_t file_id,
                                                     std::optional<std::string_view> track) {
  std::string sql = fmt::format("SELECT {} FROM segments WHERE file_id = ?", kSegmentColumns);
  if (track) sql += " AND track = ?";
  sql += " ORDER BY track DESC, segment_index";
  Statement select = db_.Prepare(sql);
  select.Bind(1, file_id);
  if (track) select.Bind(2, *track);
  std::vector<SegmentRecord> segments;
  while (select.Step()) segments.push_back(ReadSegment(select));
  return segments;
}

void ExtractionStore::ReplaceTexts(int64_t file_id, std::string_view source,
                                   std::span<const TextRecord> texts) {
  Transaction transaction(db_);
  db_.Prepare("DELETE FROM texts WHERE file_id = ? AND source = ?")
      .Bind(1, file_id)
      .Bind(2, source)
      .Run();
  Statement insert = db_.Prepare(
      "INSERT INTO texts(file_id, source, start_s, end_s, text) VALUES (?, ?, ?, ?, ?)");
  for (const TextRecord& text : texts) {
    if (text.text.empty()) continue;
    insert.Bind(1, file_id).Bind(2, source).Bind(3, text.start_s).Bind(4, text.end_s);
    insert.Bind(5, text.text).Run();
  }
  transaction.Commit();
}

std::vector<TextRecord> ExtractionStore::Texts(int64_t file_id) {
  Statement select = db_.Prepare(
      "SELECT id, file_id, source, start_s, end_s, text FROM texts WHERE file_id = ? "
      "ORDER BY source, start_s, id");
  select.Bind(1, file_id);
  std::vector<TextRecord> texts;
  while (select.Step()) {
    TextRecord text;
    text.id = select.ColumnInt(0);
    text.file_id = select.ColumnInt(1);
    text.source = select.ColumnText(2);
    text.start_s = select.ColumnOptionalDouble(3);
    text.end_s = select.ColumnOptionalDouble(4);
    text.text = select.ColumnText(5);
    texts.push_back(std::move(text));
  }
  return texts;
}

std::vector<TextMatch> ExtractionStore::SearchTexts(std::string_view query, int64_t limit) {
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

  std::string sql = fmt::format(
      "SELECT t.id, t.file_id, t.source, t.start_s, t.end_s, t.text, {} AS rank "
      "FROM texts_fts JOIN texts t ON t.id = texts_fts.rowid WHERE 1",
      phrases.empty() ? "0.0" : "bm25(texts_fts)");
  if (!phrases.empty()) sql += " AND texts_fts MATCH ?";
  for (size_t i = 0; i < short_words.size(); ++i) sql += " AND t.text LIKE ? ESCAPE '\\'";
  sql += " ORDER BY rank, t.file_id, t.start_s LIMIT ?";

  Statement select = db_.Prepare(sql);
  int index = 1;
  if (!phrases.empty()) select.Bind(index++, fmt::format("{}", fmt::join(phrases, " AND ")));
  for (const std::string& word : short_words) {
    select.Bind(index++, fmt::format("%{}%", EscapeLike(word)));
  }
  select.Bind(index, limit);

  std::vector<TextMatch> matches;
  while (select.Step()) {
    TextMatch match;
    match.text_id = select.ColumnInt(0);
    match.file_id = select.ColumnInt(1);
    match.source = select.ColumnText(2);
    match.start_s = select.ColumnOptionalDouble(3);
    match.end_s = select.ColumnOptionalDouble(4);
    match.text = select.ColumnText(5);
    match.score = phrases.empty() ? 0.5 : ScoreFromBm25(select.ColumnDouble(6));
    matches.push_back(std::move(match));
  }
  return matches;
}

void ExtractionStore::SetFingerprint(const FingerprintRecord& fingerprint) {
  db_.Prepare(
         "INSERT OR REPLACE INTO fingerprints(file_id, algorithm, item_seconds, items) "
         "VALUES (?, ?, ?, ?)")
      .Bind(1, fingerprint.file_id)
      .Bind(2, fingerprint.algorithm)
      .Bind(3, fingerprint.item_seconds)
      .BindBlob(4, std::as_bytes(std::span(fingerprint.items)))
      .Run();
}

void ExtractionStore::DeleteFingerprint(int64_t file_id) {
  db_.Prepare("DELETE FROM fingerprints WHERE file_id = ?").Bind(1, file_id).Run();
}

std::optional<FingerprintRecord> ExtractionStore::Fingerprint(int64_t file_id) {
  Statement select =
      db_.Prepare("SELECT algorithm, item_seconds, items FROM fingerprints WHERE file_id = ?");
  select.Bind(1, file_id);
  if (!select.Step()) return std::nullopt;
  FingerprintRecord fingerprint;
  fingerprint.file_id = file_id;
  fingerprint.algorithm = static_cast<int>(select.ColumnInt(0));
  fingerprint.item_seconds = select.ColumnDouble(1);
  std::span<const std::byte> bytes = select.ColumnBlob(2);
  if (bytes.size() % sizeof(uint32_t) != 0) {
    throw Error(
        fmt::format("fingerprint of file {} is {} bytes, not a whole number of items; "
                    "reindex the file to rebuild it",
                    file_id, bytes.size()));
  }
  fingerprint.items.resize(bytes.size() / sizeof(uint32_t));
  if (!bytes.empty()) std::memcpy(fingerprint.items.data(), bytes.data(), bytes.size());
  return fingerprint;
}

std::vector<int64_t> ExtractionStore::FingerprintedFiles() {
  Statement select = db_.Prepare("SELECT file_id FROM fingerprints ORDER BY file_id");
  std::vector<int64_t> ids;
  while (select.Step()) ids.push_back(select.ColumnInt(0));
  return ids;
}

void ExtractionStore::SetPerceptualHash(int64_t file_id, std::optional<uint64_t> hash) {
  db_.Prepare("UPDATE files SET perceptual_hash = ? WHERE id = ?")
      .Bind(1, OptionalHash(hash))
      .Bind(2, file_id)
      .Run();
}

std::optional<uint64_t> ExtractionStore::PerceptualHash(int64_t file_id) {
  Statement select = db_.Prepare("SELECT perceptual_hash FROM files WHERE id = ?");
  select.Bind(1, file_id);
  if (!select.Step()) return std::nullopt;
  std::optional<int64_t> value = select.ColumnOptionalInt(0);
  if (!value) return std::nullopt;
  return FromColumn(*value);
}

void ExtractionStore::SetFullHash(int64_t file_id, const std::string& full_hash) {
  db_.Prepare("UPDATE files SET full_hash = ? WHERE id = ?")
      .Bind(1, full_hash)
      .Bind(2, file_id)
      .Run();
}

std::optional<std::string> ExtractionStore::FullHash(int64_t file_id) {
  Statement select = db_.Prepare("SELECT full_hash FROM files WHERE id = ?");
  select.Bind(1, file_id);
  if (!select.Step()) return std::nullopt;
  return select.ColumnOptionalText(0);
}

bool ExtractionStore::MarkAnalyzed(int64_t file_id, uint64_t size, int64_t mtime_ns) {
  db_.Prepare(
         "UPDATE files SET analyzed_at = ? WHERE id = ? AND size = ? AND mtime_ns = ? "
         "AND status = 'indexed'")
      .Bind(1, NowSeconds())
      .Bind(2, file_id)
      .Bind(3, static_cast<int64_t>(size))
      .Bind(4, mtime_ns)
      .Run();
  return db_.Changes() > 0;
}

std::vector<ExtractionStore::UnanalyzedFile> ExtractionStore::UnanalyzedFiles(int64_t after_id,
                                                                              double updated_before,
                                                                              int64_t limit) {
  Statement select = db_.Prepare(
      "SELECT id, path, directory_id FROM files WHERE id > ? AND status = 'indexed' "
      "AND analyzed_at IS NULL AND updated_at < ? ORDER BY id LIMIT ?");
  select.Bind(1, after_id).Bind(2, updated_before).Bind(3, limit);
  std::vector<UnanalyzedFile> files;
  while (select.Step()) {
    files.push_back({select.ColumnInt(0), select.ColumnText(1), select.ColumnInt(2)});
  }
  return files;
}

std::vector<int64_t> ExtractionStore::SameContentCandidates(int64_t file_id, uint64_t size,
                                                            const std::string& content_hash) {
  Statement select = db_.Prepare(
      "SELECT id FROM files WHERE content_hash = ? AND size = ? AND id != ? "
      "AND status = 'indexed' AND analyzed_at IS NOT NULL ORDER BY created_at, id");
  select.Bind(1, content_hash).Bind(2, static_cast<int64_t>(size)).Bind(3, file_id);
  std::vector<int64_t> ids;
  while (select.Step()) ids.push_back(select.ColumnInt(0));
  return ids;
}

bool ExtractionStore::CopyResults(
    int64_t from_file, int64_t to_file,
    const std::function<std::string(const std::string&)>& thumbnail_for) {
  Transaction transaction(db_);
  Statement source = db_.Prepare(
      "SELECT content_hash, full_hash, perceptual_hash, thumbnail_path, analyzed_at FROM files "
      "WHERE id = ? AND status = 'indexed'");
  source.Bind(1, from_file);
  if (!source.Step()) return false;
  std::optional<std::string> content_hash = source.ColumnOptionalText(0);
  std::optional<std::string> full_hash = source.ColumnOptionalText(1);
  std::optional<int64_t> perceptual_hash = source.ColumnOptionalInt(2);
  std::optional<std::string> thumbnail = source.ColumnOptionalText(3);
  if (thumbnail) thumbnail = thumbnail_for(*thumbnail);
  std::optional<double> analyzed_at = source.ColumnOptionalDouble(4);

  const double now = NowSeconds();
  db_.Prepare(
         "UPDATE files SET status = 'indexed', error = NULL, content_hash = ?, full_hash = ?, "
         "perceptual_hash = ?, thumbnail_path = ?, analyzed_at = ?, indexed_at = ?, updated_at = ? "
         "WHERE id = ?")
      .Bind(1, content_hash)
      .Bind(2, full_hash)
      .Bind(3, perceptual_hash)
      .Bind(4, thumbnail)
      .Bind(5, analyzed_at)
      .Bind(6, now)
      .Bind(7, now)
      .Bind(8, to_file)
      .Run();
  if (db_.Changes() == 0) return false;

  for (std::string_view table : {"media_metadata", "segments", "texts", "fingerprints"}) {
    db_.Prepare(fmt::format("DELETE FROM {} WHERE file_id = ?", table)).Bind(1, to_file).Run();
  }
  db_.Prepare("DELETE FROM embeddings WHERE file_id = ?").Bind(1, to_file).Run();

  db_.Prepare(
         "INSERT INTO media_metadata(file_id, format, width, height, duration, rotation, "
         "has_video, has_audio, info, probed_at) SELECT ?, format, width, height, duration, "
         "rotation, has_video, has_audio, info, probed_at FROM media_metadata WHERE file_id = ?")
      .Bind(1, to_file)
      .Bind(2, from_file)
      .Run();
  db_.Prepare(
         "UPDATE files_fts SET tags = (SELECT tags FROM files_fts WHERE rowid = ?) "
         "WHERE rowid = ?")
      .Bind(1, from_file)
      .Bind(2, to_file)
      .Run();

  std::map<int64_t, int64_t> segment_ids;
  std::vector<SegmentRecord> segments = Segments(from_file);
  Statement insert_segment = db_.Prepare(
      "INSERT INTO segments(file_id, track, segment_index, start_s, end_s, representative_s, "
      "thumbnail_path, perceptual_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  for (const SegmentRecord& segment : segments) {
    std::optional<std::string> segment_thumbnail = segment.thumbnail_path;
    if (segment_thumbnail) segment_thumbnail = thumbnail_for(*segment_thumbnail);
    insert_segment.Bind(1, to_file).Bind(2, segment.track).Bind(3, segment.index);
    insert_segment.Bind(4, segment.start_s).Bind(5, segment.end_s);
    insert_segment.Bind(6, segment.representative_s).Bind(7, segment_thumbnail);
    insert_segment.Bind(8, OptionalHash(segment.perceptual_hash)).Run();
    segment_ids[segment.id] = db_.LastInsertRowId();
  }

  db_.Prepare(
         "INSERT INTO texts(file_id, source, start_s, end_s, text) "
         "SELECT ?, source, start_s, end_s, text FROM texts WHERE file_id = ? ORDER BY id")
      .Bind(1, to_file)
      .Bind(2, from_file)
      .Run();
  db_.Prepare(
         "INSERT INTO fingerprints(file_id, algorithm, item_seconds, items) "
         "SELECT ?, algorithm, item_seconds, items FROM fingerprints WHERE file_id = ?")
      .Bind(1, to_file)
      .Bind(2, from_file)
      .Run();

  Statement vectors = db_.Prepare(
      "SELECT segment_id, space, dimension, vector FROM embeddings WHERE file_id = ? ORDER BY id");
  vectors.Bind(1, from_file);
  Statement insert_vector = db_.Prepare(
      "INSERT INTO embeddings(file_id, segment_id, space, dimension, vector, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  while (vectors.Step()) {
    std::optional<int64_t> segment_id = vectors.ColumnOptionalInt(0);
    if (segment_id) {
      auto mapped = segment_ids.find(*segment_id);
      if (mapped == segment_ids.end()) continue;
      segment_id = mapped->second;
    }
    insert_vector.Bind(1, to_file).Bind(2, segment_id).Bind(3, vectors.ColumnText(1));
    insert_vector.Bind(4, vectors.ColumnInt(2)).BindBlob(5, vectors.ColumnBlob(3));
    insert_vector.Bind(6, now).Run();
  }
  transaction.Commit();
  return true;
}

}  // namespace msearch::store
