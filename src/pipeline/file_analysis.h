#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "media/audio_decode.h"
#include "media/audio_fingerprint.h"
#include "media/video_segment.h"
#include "pipeline/analysis_options.h"
#include "store/extraction_store.h"
#include "store/media_info.h"

namespace msearch::pipeline {

// Everything the media pipeline extracts from one file after its probe.
struct FileAnalysis {
  // Scene segments of the video track, with thumbnail paths when
  // AnalysisOptions::thumbnail_dir is set.
  std::vector<store::SegmentRecord> video_segments;
  // Windows of the audio track for the audio model; none when the track is
  // shorter than the configured minimum.
  std::vector<store::SegmentRecord> audio_windows;
  // Recognised text: one entry for a still image, one per video segment
  // that shows text (with the segment's times).
  std::vector<store::TextRecord> texts;
  // Of a still image, or of the first segment of a video.
  std::optional<uint64_t> perceptual_hash;
  std::optional<media::AudioFingerprint> fingerprint;
  std::optional<media::AudioDecodeResult> audio;    // the decoded audio track
  std::optional<media::SegmentationSummary> video;  // the decoded video track
  // Parts that failed while the rest succeeded, for example an undecodable
  // audio track in a video whose pictures are fine. Each names the part.
  std::vector<std::string> warnings;
};

// Extracts segments, windows, text, hashes and the fingerprint of `path`,
// whose probe gave `info`, as set in `options`. Video frames, audio samples
// and image pixels are streamed, so memory does not grow with the file.
//
// Throws media::MediaError naming the file when its main content (the
// pictures of an image or video, the sound of an audio file) cannot be
// decoded. Failures of secondary parts are returned in `warnings`.
// Thread-safe: files may be analysed in parallel.
FileAnalysis AnalyzeFile(const std::filesystem::path& path, const store::MediaInfo& info,
                         const AnalysisOptions& options);

}  // namespace msearch::pipeline
