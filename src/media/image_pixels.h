#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "media/decode_limits.h"

namespace msearch::media {

// An 8-bit RGB picture, rows top to bottom, 3 bytes per pixel with no row
// padding, so rgb.size() == width * height * 3.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
};

// Maximum ratio of the longer to the shorter side of the pixels DecodeRgb
// and FrameRgbConverter return, so an image or video of absurd shape (10000
// x 16) cannot make pixel buffers of absurd size.
inline constexpr int kMaxAspectRatio = 8;

// Grey of the background that DecodeRgb flattens transparent pixels onto.
// A neutral mid grey biases an embedding model less than white or black.
inline constexpr uint8_t kAlphaBackgroundGrey = 128;

// Decodes `path` into the pixels an embedding model takes. The result is the
// first page or frame, upright per the EXIF orientation, and 8-bit sRGB:
// embedded ICC profiles are applied, and CMYK, 16-bit, palette and
// grayscale images are converted. Alpha is flattened onto
// kAlphaBackgroundGrey. The image is shrunk, on load where the format
// allows, so that its shorter side is `short_side` pixels. It is never
// shrunk below that, and smaller images keep their size. The exception is
// the longer side, which is at most kMaxAspectRatio x `short_side`. A longer
// image is shrunk whole to fit, so its shorter side ends below `short_side`.
//
// Throws MediaError naming the file when it is missing, empty, of no supported
// format, truncated or corrupt, or when it has more than
// limits.max_image_pixels pixels and its format cannot shrink on load.
// Thread-safe.
RgbImage DecodeRgb(const std::filesystem::path& path, int short_side,
                   const DecodeLimits& limits = {});

}  // namespace msearch::media
