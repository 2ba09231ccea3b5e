#pragma once

#include <filesystem>
#include <string_view>

#include "media/decode_limits.h"
#include "media/media_error.h"
#include "store/media_info.h"

namespace msearch::media {

// Extracts the facts the catalog stores about one media file. `kind` is
// "image", "video" or "audio", as KindForExtension returns it. The decoder is
// chosen by the file content, so a PNG named .jpg probes as "png".
//
// Images: header facts through libvips (size after EXIF orientation and as
// stored, orientation, alpha, frame count, EXIF camera fields), then a small
// decode that fails on truncated or corrupt pixel data (skipped for images
// over limits.max_image_pixels that cannot shrink on load).
// Video and audio: as ProbeAudioVideo describes. The returned kind follows
// the streams found, so an .mp4 with only audio is "audio".
//
// Throws MediaError, whose message names the file and the problem, for a
// missing, empty, unsupported, truncated or corrupt file. Thread-safe:
// files may be probed in parallel.
store::MediaInfo ProbeFile(const std::filesystem::path& path, std::string_view kind,
                           const DecodeLimits& limits = {});

}  // namespace msearch::media
