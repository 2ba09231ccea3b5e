#include "pipeline/analysis_store.h"

#include "store/sqlite.h"

namespace msearch::pipeline {

// The transaction takes the write lock before the first write and holds it
// until MarkAnalyzed has checked size, mtime and status. A change that the
// catalog records for the file therefore lands either before, so that
// MarkAnalyzed returns false and nothing is stored, or after the commit, when
// it deletes these results like those of any old version. The ExtractionStore
// calls that open their own transaction join this one as savepoints.
bool StoreAnalysis(store::ExtractionStore& store, int64_t file_id, uint64_t size, int64_t mtime_ns,
                   const FileAnalysis& analysis) {
  store::Transaction transaction(store.database());
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
  if (!store.MarkAnalyzed(file_id, size, mtime_ns)) return false;
  transaction.Commit();
  return true;
}

}  // namespace msearch::pipeline
