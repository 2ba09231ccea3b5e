#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace msearch::preprocess {

// An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B
// (the [height, width, 3] layout of a NumPy array from Pillow).
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // width * height * 3 bytes

  size_t row_bytes() const { return static_cast<size_t>(width) * 3; }
};

}  // namespace msearch::preprocess
