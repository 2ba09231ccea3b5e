#pragma once

#include <cstdint>

#include "pipeline/file_analysis.h"
#include "store/extraction_store.h"

namespace msearch::pipeline {

// Writes `analysis` of file `file_id` to the catalog and marks the file
// analysed for its content of `size` bytes modified at `mtime_ns`, all in one
// transaction. The video segments, audio windows, OCR texts, fingerprint and
// perceptual hash each replace what the file had. Returns false and stores
// nothing when the catalog has since recorded another version of the file
// (whose own analysis follows) or the file is no longer indexed. Throws
// msearch::Error and stores nothing when a write fails or a segment is
// invalid. Inside a transaction of the caller on the same Database, it joins
// that transaction as a savepoint.
bool StoreAnalysis(store::ExtractionStore& store, int64_t file_id, uint64_t size, int64_t mtime_ns,
                   const FileAnalysis& analysis);

}  // namespace msearch::pipeline
