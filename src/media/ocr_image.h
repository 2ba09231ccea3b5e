#pragma once

#include <cstdint>
#include <vector>

namespace msearch::media {

// An 8-bit grey image, rows top to bottom with no padding.
struct GreyImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
};

// A step between neighbouring grey pixels that counts as a strong edge.
// Dark text on paper or light captions on video step by 150 or more.
inline constexpr int kStrongEdgeStep = 120;

// Grey level from which a pixel counts as bright (white or yellow text).
inline constexpr uint8_t kBrightLevel = 200;

// Converts 8-bit RGB to grey with the BT.601 luma weights.
GreyImage RgbToGrey(const uint8_t* rgb, int width, int height);

// Returns the share of pixels whose right neighbour differs by at least
// kStrongEdgeStep. It is measured on a copy box-averaged down to at most
// `max_side` pixels per side, so the figure compares across image sizes.
double StrongEdgeFraction(const GreyImage& image, int max_side = 640);

// Returns the share of pixels at kBrightLevel or above.
double BrightFraction(const GreyImage& image);

}  // namespace msearch::media
