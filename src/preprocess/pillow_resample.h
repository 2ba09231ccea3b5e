#pragma once

#include "preprocess/rgb_image.h"

namespace msearch::preprocess {

// Pillow's resampling filters, with their Image.Resampling values. NEAREST
// (0) works differently and is not supported.
enum class ResampleFilter {
  kLanczos = 1,
  kBilinear = 2,
  kBicubic = 3,
  kBox = 4,
  kHamming = 5,
};

// Resizes like Pillow 9.4 `Image.resize((width, height), resample)` on an
// RGB image (no reducing_gap, the whole image as the box), bit for bit:
// separable convolution, horizontal pass then vertical pass, each rounded
// to 8 bits. The filter support grows with the downscale factor
// (antialiasing), and the weights are normalised and converted to 22-bit
// fixed point as Pillow does. Only the bicubic filter is checked against
// Pillow output by the tests; the others follow the same code path.
// Returns a copy when the size does not change. Thread-safe. Throws
// PreprocessError when a size is not positive or the input is empty.
RgbImage ResizeRgb(const RgbImage& image, int width, int height, ResampleFilter filter);

}  // namespace msearch::preprocess
