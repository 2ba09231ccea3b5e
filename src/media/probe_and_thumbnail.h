#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "media/decode_limits.h"
#include "media/media_error.h"
#include "media/thumbnail.h"
#include "store/media_info.h"

namespace msearch::media {

struct ProbeAndThumbnailResult {
  store::MediaInfo info;
  bool has_thumbnail = false;  // true when the thumbnail file was written
  // Reason no thumbnail was written although the file probed fine, for
  // example "image too large". Empty when has_thumbnail is true or when an audio file
  // has no cover art.
  std::string thumbnail_error;
};

// Probes `path` like ProbeFile and writes its thumbnail like MakeThumbnail,
// sharing work between the two: for images the thumbnail decode is the
// pixel validation, so pixels are decoded once. Throws MediaError when the
// probe fails, including on corrupt image pixels. A thumbnail failure after a
// successful probe is returned in `thumbnail_error` instead. Thread-safe.
ProbeAndThumbnailResult ProbeAndThumbnail(const std::filesystem::path& path, std::string_view kind,
                                          const std::filesystem::path& output_jpeg,
                                          int max_size = kDefaultThumbnailSize,
                                          const DecodeLimits& limits = {});

}  // namespace msearch::media
