#pragma once

#include <filesystem>

#include <vips/vips8>

#include "media/decode_limits.h"
#include "media/image_format.h"
#include "store/media_info.h"

namespace msearch::media {

// An image file whose format is known from its content and whose header is
// open in libvips.
struct OpenedImage {
  ImageFormat format;
  vips::VImage header;
};

// Detects the format of `path` from its content and opens its header.
// Throws MediaError naming the file when it is empty, of no supported
// format, or has an unreadable header.
OpenedImage OpenDetectedImage(const std::filesystem::path& path);

// Returns the header facts of an opened image: format ("jpeg", "png", "gif",
// "webp", "tiff", "bmp", "heic", "avif" or "heif"), size as displayed after
// the EXIF orientation and as stored, declared orientation, alpha, frame
// count and EXIF camera fields. Decodes no pixels.
store::MediaInfo DescribeImage(const std::filesystem::path& path, const OpenedImage& image);

// Decodes a small thumbnail of the image so that truncated or corrupt pixel
// data fails now rather than later. Skipped, with a debug log line, for
// images over limits.max_image_pixels that cannot shrink on load. Throws
// MediaError naming the file.
void ValidateImagePixels(const std::filesystem::path& path, const OpenedImage& image,
                         const DecodeLimits& limits);

}  // namespace msearch::media
