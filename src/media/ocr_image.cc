#include "media/ocr_image.h"

#include <algorithm>
#include <cstdlib>

namespace msearch::media {

GreyImage RgbToGrey(const uint8_t* rgb, int width, int height) {
  GreyImage grey{width, height, {}};
  size_t count = static_cast<size_t>(width) * static_cast<size_t>(height);
  grey.pixels.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* pixel = rgb + 3 * i;
    // 0.299 R + 0.587 G + 0.114 B in 16.16 fixed point.
    grey.pixels[i] =
        static_cast<uint8_t>((19595 * pixel[0] + 38470 * pixel[1] + 7471 * pixel[2] + 32768) >> 16);
  }
  return grey;
}

double StrongEdgeFraction(const GreyImage& image, int max_side) {
  if (image.width < 2 || image.height < 1) return 0;
  int factor = std::max(1, (std::max(image.width, image.height) + max_side - 1) / max_side);
  int width = image.width / factor;
  int height = image.height / factor;
  if (width < 2 || height < 1) return 0;

  std::vector<int> row(static_cast<size_t>(width));
  int64_t strong = 0;
  int block = factor * factor;
  for (int y = 0; y < height; ++y) {
    std::fill(row.begin(), row.end(), 0);
    for (int dy = 0; dy < factor; ++dy) {
      const uint8_t* source = image.pixels.data() + static_cast<size_t>(y * factor + dy) *
                                                        static_cast<size_t>(image.width);
      for (int x = 0; x < width; ++x) {
        for (int dx = 0; dx < factor; ++dx) row[static_cast<size_t>(x)] += source[x * factor + dx];
      }
    }
    for (int x = 1; x < width; ++x) {
      int step = std::abs(row[static_cast<size_t>(x)] - row[static_cast<size_t>(x - 1)]) / block;
      if (step >= kStrongEdgeStep) ++strong;
    }
  }
  return static_cast<double>(strong) / (static_cast<double>(width) * height);
}

double BrightFraction(const GreyImage& image) {
  if (image.pixels.empty()) return 0;
  auto bright = std::count_if(image.pixels.begin(), image.pixels.end(),
                              [](uint8_t value) { return value >= kBrightLevel; });
  return static_cast<double>(bright) / static_cast<double>(image.pixels.size());
}

}  // namespace msearch::media
