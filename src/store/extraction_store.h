#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite.h"

namespace msearch::store {

// A time range of one track of a file: a scene segment of a video track or
// a window of an audio track.
struct SegmentRecord {
  int64_t id = 0;  // assigned by the catalog
  int64_t file_id = 0;
  std::string track;  // video or audio
  int index = 0;      // 0-based, in time order within the track
  double start_s = 0;
  double end_s = 0;
  double representative_s = 0;  // the moment a thumbnail or result shows
  std::optional<std::string> thumbnail_path;
  std::optional<uint64_t> perceptual_hash;
};

// Recognised text of a file, with the time range it is visible or audible
// (none for a still image).
struct TextRecord {
  int64_t id = 0;
  int64_t file_id = 0;
  std::string source;  // ocr, speech or subtitle
  std::optional<double> start_s;
  std::optional<double> end_s;
  std::string text;
};

// The raw Chromaprint items of a file's audio track.
struct FingerprintRecord {
  int64_t file_id = 0;
  int algorithm = 0;
  double item_seconds = 0;  // time step between consecutive items
  std::vector<uint32_t> items;
};

// A full-text hit in recognised text.
struct TextMatch {
  int64_t text_id = 0;
  int64_t file_id = 0;
  std::string source;
  std::optional<double> start_s;
  std::optional<double> end_s;
  std::string text;
  double score = 0;  // higher is better, in (0, 1]
};

// Reads and writes what the media pipeline extracts from files: segments,
// recognised text, audio fingerprints and perceptual hashes, in the catalog
// database. Each Replace call swaps all rows of one kind for one file in a
// single transaction, so a file is never seen half-updated. Rows go away
// with their file (foreign keys cascade). One instance per thread, like the
// Database it uses.
class ExtractionStore {
 public:
  explicit ExtractionStore(Database& db) : db_(db) {}

  Database& database() { return db_; }

  // Replaces the segments of `track` of `file_id` and returns their new ids
  // in the order given. Embeddings of the replaced segments are removed with
  // them. Throws Error when a segment's times are not finite, end before they
  // start, or the indexes repeat.
  std::vector<int64_t> ReplaceSegments(int64_t file_id, std::string_view track,
                                       std::span<const SegmentRecord> segments);
  // Segments of `file_id` (of one track when given), by track then index.
  std::vector<SegmentRecord> Segments(int64_t file_id,
                                      std::optional<std::string_view> track = std::nullopt);

  // Replaces the texts of `source` of `file_id`. Empty texts are skipped.
  void ReplaceTexts(int64_t file_id, std::string_view source, std::span<const TextRecord> texts);
  std::vector<TextRecord> Texts(int64_t file_id);
  // Texts containing `query` (case-insensitive; any substring of three or
  // more characters through the trigram index, shorter ones by scanning),
  // best first, at most `limit`.
  std::vector<TextMatch> SearchTexts(std::string_view query, int64_t limit);

  void SetFingerprint(const FingerprintRecord& fingerprint);
  void DeleteFingerprint(int64_t file_id);
  std::optional<FingerprintRecord> Fingerprint(int64_t file_id);
  // Ids of the files that have a fingerprint.
  std::vector<int64_t> FingerprintedFiles();

  void SetPerceptualHash(int64_t file_id, std::optional<uint64_t> hash);
  std::optional<uint64_t> PerceptualHash(int64_t file_id);
  void SetFullHash(int64_t file_id, const std::string& full_hash);
  std::optional<std::string> FullHash(int64_t file_id);

  // Records that segments, texts and fingerprints of `file_id` are complete
  // for its content of `size` bytes modified at `mtime_ns` (files.analyzed_at).
  // Returns false, marking nothing, when the catalog has since seen another
  // version of the file or the file is no longer indexed.
  bool MarkAnalyzed(int64_t file_id, uint64_t size, int64_t mtime_ns);

  // Indexed files with an id above `after_id` that were never analysed and
  // were last updated before `updated_before` (seconds since the epoch), by
  // id, at most `limit`: their analysis task was lost or gave up.
  struct UnanalyzedFile {
    int64_t id = 0;
    std::string path;
    int64_t directory_id = 0;
  };
  std::vector<UnanalyzedFile> UnanalyzedFiles(int64_t after_id, double updated_before,
                                              int64_t limit);

  // Analysed files other than `file_id` with the same size and sampled
  // content hash, oldest first: candidates for being the same content.
  std::vector<int64_t> SameContentCandidates(int64_t file_id, uint64_t size,
                                             const std::string& content_hash);

  // Makes `to_file` carry everything `from_file` has: media facts, hashes,
  // segments, texts, fingerprint and embeddings (segment references
  // remapped), replacing what `to_file` had, and marks it indexed.
  // `thumbnail_for` maps each thumbnail path of `from_file` to the path
  // `to_file` should record (callers copy the image files). Returns false,
  // changing nothing, when either file is gone or `from_file` is not indexed.
  bool CopyResults(int64_t from_file, int64_t to_file,
                   const std::function<std::string(const std::string&)>& thumbnail_for);

 private:
  Database& db_;
};

}  // namespace msearch::store
