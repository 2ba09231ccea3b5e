#pragma once

#include <nlohmann/json.hpp>

#include "pipeline/file_analysis.h"

namespace msearch::pipeline {

// The analysis as JSON for `msearch inspect`: segments, audio windows,
// texts, hashes (perceptual hash as 16 hex digits), fingerprint size and
// the decoding facts of each track, and the warnings.
nlohmann::json AnalysisToJson(const FileAnalysis& analysis);

// A 64-bit hash as 16 lower-case hex digits.
std::string HashHex(uint64_t hash);

}  // namespace msearch::pipeline
