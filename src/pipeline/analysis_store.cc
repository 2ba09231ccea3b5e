#include "pipeline/analysis_store.h"

namespace msearch::pipeline {

// NOTE: these writes are six transactions, not one. Each ExtractionStore
// call commits on its own (ReplaceSegments and ReplaceTexts in their own
// BEGIN IMMEDIATE), and SQLite cannot nest transactions, so one outer
// transaction would need support in the store. The order keeps this safe:
// - MarkAnalyzed runs last and checks size, mtime and status in one
//   statement. A first analysis that stops half way leaves the file
//   unanalysed, so ExtractionStore::UnanalyzedFiles returns it again. A
//   repeated analysis that stops half way leaves old and new results of the
//   same content.
// - Each kind of result is replaced whole, in one transaction.
// - The caller checks the file on disk just before this call. A change that
//   the catalog records while these writes run deletes the rows written so
//   far. This happens only when the writes wait longer than debounce_ms for
//   the write lock. Rows written after that describe the old content until
//   the analysis of the new content replaces them: MarkAnalyzed returns false
//   here, and that analysis follows.
bool StoreAnalysis(store::ExtractionStore& store, int64_t file_id, uint64_t size, int64_t mtime_ns,
                   const FileAnalysis& analysis) {
  store.ReplaceSegments(file_id, "video", analysis.video_segments);
  store.ReplaceSegments(file_id, "audio", analysis.audio_windows);
  store.ReplaceTexts(file_id, "ocr", analysis.texts);
  if (analysis.fingerprint) {
    store::FingerprintRecord fingerprint;
    fingerprint.file_id = file_id;
    fingerprint.algorithm = analysis.fingerprint->algorithm;
    fingerprint.item_seconds = analysis.fingerprint->item_seconds;
    fingerprint.items = analysis.fingerprint->items;
    store.SetFingerprint(fingerprint);
  } else {
    store.DeleteFingerprint(file_id);
  }
  store.SetPerceptualHash(file_id, analysis.perceptual_hash);
  return store.MarkAnalyzed(file_id, size, mtime_ns);
}

}  // namespace msearch::pipeline
