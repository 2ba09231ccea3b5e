#include "pipeline/analysis_store.h"

namespace msearch::pipeline {

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
