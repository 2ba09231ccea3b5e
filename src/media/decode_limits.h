#pragma once

#include <cstdint>

namespace msearch::media {

// Bounds on the work and memory one file may cost.
struct DecodeLimits {
  // Images with more pixels than this (width x height, default 100
  // megapixels) are thumbnailed only when the decoder can shrink on load
  // (JPEG, WebP), so memory stays bounded. For other formats the probe
  // reports the header facts but skips the validating decode, and the
  // thumbnail fails with an "image too large" MediaError.
  int64_t max_image_pixels = 100'000'000;
};

}  // namespace msearch::media
