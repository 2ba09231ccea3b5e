#pragma once

#include <filesystem>

#include <vips/vips8>

#include "media/decode_limits.h"
#include "media/image_format.h"

namespace msearch::media {

// Loader options for thumbnail_source: libvips 8.14 ignores the "fail_on"
// option of thumbnail_source itself and reads it only from this string.
inline constexpr const char* kLoaderFailOnTruncated = "fail_on=truncated";

// Opens `path` with the libvips loader for `format` (detected from the
// content) for sequential reading. Only the header is read here. Pixels are
// decoded when an operation needs them, and a truncated or corrupt file then
// fails that operation. Throws MediaError naming the file.
vips::VImage OpenImage(const std::filesystem::path& path, ImageFormat format);

// Returns true when `header` needs an ICC transform to become sRGB: it
// carries an embedded profile, or it is CMYK (which libvips converts with its
// built-in CMYK profile). An image without a profile is taken to be sRGB
// already. For it, libvips 8.14 would build an sRGB-to-sRGB lcms transform on
// every call, which costs about a fifth of a 12-megapixel JPEG thumbnail
// (pixels_bench) and shifts colours by up to 30 levels (grey 16 becomes 6).
bool NeedsIccTransform(const vips::VImage& header);

// Builds a lazy thumbnail pipeline for `path`: the first page or frame,
// shrunk on load where the format allows, upright per the EXIF orientation,
// longest side at most `max_size` (smaller images keep their size). The
// result still has the file's colour space and alpha, which
// WriteThumbnailJpeg converts. `header` is the OpenImage result for the same file.
// Throws MediaError "image too large" when the image has more than
// limits.max_image_pixels pixels and the format cannot shrink on load.
vips::VImage ShrinkImage(const std::filesystem::path& path, ImageFormat format,
                         const vips::VImage& header, int max_size, const DecodeLimits& limits);

// Returns true when `header` is small enough, or its format can shrink on
// load, so that ShrinkImage will accept it.
bool CanShrinkWithinLimits(ImageFormat format, const vips::VImage& header,
                           const DecodeLimits& limits);

// Throws the "image too large" MediaError of ShrinkImage when
// CanShrinkWithinLimits is false.
void RequireShrinkWithinLimits(const std::filesystem::path& path, ImageFormat format,
                               const vips::VImage& header, const DecodeLimits& limits);

}  // namespace msearch::media
