#pragma once

#include <filesystem>

#include "media/decode_limits.h"
#include "media/ffmpeg_handles.h"

namespace msearch::media {

// Writes a JPEG thumbnail of the representative frame of video stream
// `stream_index` of `format` (see DecodeRepresentativeFrame), upright per
// the display matrix, with the sample aspect ratio applied and the longest
// side at most `max_size`. Throws MediaError naming the file.
void MakeVideoThumbnail(const std::filesystem::path& path, FormatContextPtr format,
                        int stream_index, const std::filesystem::path& output, int max_size);

// Writes a JPEG thumbnail of the embedded cover art (attached picture) of
// `format` and returns true, or returns false when the file has none. Throws
// MediaError when the picture is corrupt, of an unsupported format, or too
// large for `limits`.
bool MakeCoverArtThumbnail(const std::filesystem::path& path, const AVFormatContext& format,
                           const std::filesystem::path& output, int max_size,
                           const DecodeLimits& limits);

}  // namespace msearch::media
