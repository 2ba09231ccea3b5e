#pragma once

#include <cstdint>
#include <filesystem>

#include "preprocess/rgb_image.h"

namespace msearch::preprocess {

// Decodes the first frame of an image file to 8-bit RGB the way Pillow's
// Image.open(path).convert("RGB") does, which is what the transformers
// image processors start from:
// - JPEG through libjpeg-turbo with the accurate integer IDCT and fancy
//   chroma upsampling (libvips uses the same library and defaults).
// - An alpha channel is dropped, not composited: transparent pixels keep
//   their stored colour.
// - Grayscale is replicated to three channels; palettes are expanded.
// - The EXIF orientation is ignored, as Pillow ignores it without
//   ImageOps.exif_transpose.
// - Embedded ICC profiles are ignored (no colour conversion).
// NOTE: only 8-bit RGB/RGBA/grayscale/palette PNG and baseline JPEG are
// checked against Pillow by the tests. 16-bit samples keep their high byte,
// CMYK uses Pillow's cmyk2rgb formula, and other sample formats are cast
// by libvips; Pillow may differ for those.
// Throws PreprocessError naming the file when it is missing, not an image,
// corrupt or truncated, or has more than `max_pixels` pixels.
RgbImage DecodeRgbImage(const std::filesystem::path& path, int64_t max_pixels = 100'000'000);

}  // namespace msearch::preprocess
