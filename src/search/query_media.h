#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <vector>

#include "media/audio_fingerprint.h"
#include "media/video_segment.h"
#include "preprocess/rgb_image.h"
#include "store/media_info.h"

namespace msearch::search {

// Decoding of query files. Each function throws InvalidQueryError naming
// the file when it cannot be read as the media it should be.

// Probes a query file: an audio or video file chosen by its extension, or by
// its content when the extension is unknown.
store::MediaInfo ProbeQueryFile(const std::filesystem::path& path);

// A time range [start_s, end_s) of a query file, in seconds.
struct QueryRange {
  double start_s = 0;
  double end_s = 0;
};

// Returns the time range of a query file to use: the whole file by default,
// at most `max_seconds` long. Throws InvalidQueryError when the range is
// empty, negative or starts at or after the end of the file.
QueryRange ResolveQueryRange(const store::MediaInfo& info, std::optional<double> start_s,
                             std::optional<double> end_s, double max_seconds);

// Decodes `range` of the first audio stream to mono samples at `sample_rate`.
std::vector<float> DecodeAudioRange(const std::filesystem::path& path, int sample_rate,
                                    const QueryRange& range);

// Computes the Chromaprint fingerprint of `range` of the first audio
// stream, decoded at Chromaprint's own rate as the media pipeline does.
media::AudioFingerprint FingerprintRange(const std::filesystem::path& path,
                                         const QueryRange& range);

// Returns the model frames of the video segments that overlap `range`, one
// list per segment, segmented with `options`. The media pipeline's settings
// give the frames that the stored vectors were made from. Frames inside the
// range are preferred, but a segment whose frames all lie outside it keeps
// them. Returns at most `max_segments` segments, spread over the range.
std::vector<std::vector<preprocess::RgbImage>> QueryVideoFrames(
    const std::filesystem::path& path, const media::SegmentOptions& options,
    const QueryRange& range, size_t max_segments);

}  // namespace msearch::search
