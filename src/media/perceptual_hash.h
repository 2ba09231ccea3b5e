#pragma once

#include <cstdint>

#include "media/image_pixels.h"

namespace msearch::media {

// Computes the 64-bit DCT perceptual hash (pHash) of `image`. The luma is
// box-averaged to 32x32 pixels, ignoring the aspect ratio, and transformed
// with a 2-D DCT-II. Bit 8*v+u is set when the coefficient of vertical
// frequency v and horizontal frequency u (both 0..7) is above the median of
// those 64 coefficients. Images that look alike (re-encoded, resized, mildly
// recompressed) give hashes a few bits apart, while unrelated images differ
// in about half of the bits. An empty image hashes to 0.
uint64_t PerceptualHash(const RgbImage& image);

// Returns the number of bits in which two hashes differ, 0..64.
int HammingDistance(uint64_t a, uint64_t b);

}  // namespace msearch::media
