#pragma once

#include <filesystem>
#include <string_view>

#include "media/decode_limits.h"
#include "media/media_error.h"

namespace msearch::media {

// Default maximum length of a thumbnail's longer side, in pixels.
inline constexpr int kDefaultThumbnailSize = 320;

// Writes a JPEG thumbnail of `source` to `output_jpeg`, longest side at most
// `max_size` pixels (smaller images keep their size), upright, 8-bit sRGB,
// alpha flattened onto white. The file appears atomically: it is written
// under a temporary name next to `output_jpeg` and renamed.
//
// Images: the first page or frame, shrunk on load where the format allows.
// Video: a frame at 10% of the duration or 1 s, whichever is earlier, else
// the first decodable frame, rotated per the display matrix. Audio (or a
// video file without a video stream): the embedded cover art.
//
// Returns false, writing nothing, when an audio file has no cover art.
// Throws MediaError naming the file when it cannot be decoded, when an image
// is over limits.max_image_pixels and its format cannot shrink on load
// ("image too large"), or when the thumbnail cannot be written.
// Thread-safe.
bool MakeThumbnail(const std::filesystem::path& source, std::string_view kind,
                   const std::filesystem::path& output_jpeg, int max_size = kDefaultThumbnailSize,
                   const DecodeLimits& limits = {});

}  // namespace msearch::media
