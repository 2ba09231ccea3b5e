#pragma once

#include <cstdint>

#include "pipeline/file_analysis.h"
#include "store/extraction_store.h"

namespace msearch::pipeline {

// Writes `analysis` of file `file_id` to the catalog: video segments, audio
// windows, OCR texts, the fingerprint and the perceptual hash, each
// replacing what the file had. Then marks the file analysed for its content
// of `size` bytes modified at `mtime_ns`. Marking comes last, so a file
// is never taken as analysed with half its results. Returns false when the
// catalog saw another version of the file meanwhile; that version's own
// analysis replaces these results.
bool StoreAnalysis(store::ExtractionStore& store, int64_t file_id, uint64_t size, int64_t mtime_ns,
                   const FileAnalysis& analysis);

}  // namespace msearch::pipeline
