#pragma once

#include <filesystem>

#include <vips/vips8>

namespace msearch::media {

// JPEG quality of thumbnails (libvips Q, 1..100).
inline constexpr int kThumbnailJpegQuality = 80;

// Converts `image` to 8-bit sRGB without alpha (flattened onto white) and
// writes it as a JPEG with metadata stripped, so viewers do not apply the
// source's EXIF orientation a second time. The file is written under a
// temporary name in the directory of `output` (created if missing) and
// renamed over `output`, so readers never see a partial thumbnail. Pixels of
// a lazy pipeline are decoded here, so a corrupt `source` fails here too.
// Throws MediaError naming `source` and `output`, and leaves no temporary
// file behind.
void WriteThumbnailJpeg(vips::VImage image, const std::filesystem::path& source,
                        const std::filesystem::path& output);

}  // namespace msearch::media
