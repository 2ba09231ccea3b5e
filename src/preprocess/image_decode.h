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
// - Unlike Pillow, an image whose longer side exceeds media::kMaxAspectRatio
//   times its shorter side is cropped around its centre to that ratio.
//   CLIP's processor resizes the shorter side to its input size before its
//   centre crop, so a 10000x16 image would otherwise become 140000x224
//   pixels. That centre crop stays in the middle, but its pixels can differ
//   slightly from the reference's, because the crop changes the resize scale
//   and can move the window by a fraction of a pixel. A processor that
//   squashes the whole image to a fixed size (Chinese-CLIP) loses the ends of
//   such an image.
// The image is not shrunk on load, because libjpeg's reduced-size decoding
// gives other pixels than Pillow, so `max_pixels` bounds the decoding work.
// NOTE: only 8-bit RGB/RGBA/grayscale/palette PNG and baseline JPEG are
// checked against Pillow by the tests. 16-bit samples keep their high byte,
// CMYK uses Pillow's cmyk2rgb formula, and other sample formats are cast
// by libvips; Pillow may differ for those.
// Throws PreprocessError naming the file when it is missing, not an image,
// corrupt or truncated, or has more than `max_pixels` pixels.
RgbImage DecodeRgbImage(const std::filesystem::path& path, int64_t max_pixels = 100'000'000);

}  // namespace msearch::preprocess
