#pragma once

#include <filesystem>
#include <utility>

#include "media/ffmpeg_handles.h"
#include "media/image_pixels.h"
#include "media/scene_detect.h"

namespace msearch::media {

// Display properties of a decoded frame: the display matrix rotation and the
// sample (pixel) aspect ratio.
struct FrameGeometry {
  // 0, 90, 180 or 270. NOTE: other angles, and the mirroring a display
  // matrix can also carry, are not applied.
  int rotation_clockwise = 0;
  double sample_aspect_ratio = 1.0;  // pixel width / pixel height
};

// Returns the upright size of the model frame FrameRgbConverter makes of a
// `width` x `height` frame: the sample aspect ratio and rotation applied, the
// shorter side `short_side`, the longer side at most kMaxAspectRatio
// times that. Both sides are at least 1.
std::pair<int, int> ScaledDisplaySize(int width, int height, const FrameGeometry& geometry,
                                      int short_side);

// Converts decoded video frames of any pixel format and bit depth to
// upright 8-bit RGB whose shorter side is exactly `short_side` (small video
// is scaled up), using the frame's YUV matrix and range. A frame more than
// kMaxAspectRatio times wider than high (or higher than wide) is cropped to
// its centre first, because scaling the shorter side of a 10000x16 video to
// 224 pixels would make frames of 140000x224 (94 MB each). The image model crops
// a centred square anyway, so the crop loses nothing it would see. The swscale context is kept
// between frames of the same size and format. Not thread-safe.
class FrameRgbConverter {
 public:
  FrameRgbConverter(const std::filesystem::path& source, const FrameGeometry& geometry,
                    int short_side);

  // Throws MediaError naming the source when swscale cannot convert the
  // frame's pixel format.
  RgbImage Convert(const AVFrame& frame);

 private:
  std::filesystem::path source_;
  FrameGeometry geometry_;
  int short_side_;
  SwsContextPtr context_;
  int context_width_ = 0;
  int context_height_ = 0;
  int context_format_ = -1;
};

// Scales decoded frames to the kAnalysisWidth x kAnalysisHeight YUV images
// that SceneDetector compares, ignoring rotation and aspect ratio (the same
// for every frame of a stream). Not thread-safe.
class FrameAnalysisScaler {
 public:
  explicit FrameAnalysisScaler(const std::filesystem::path& source);

  // Throws MediaError naming the source when swscale cannot convert the
  // frame's pixel format.
  AnalysisImage Scale(const AVFrame& frame);

 private:
  std::filesystem::path source_;
  SwsContextPtr context_;
  int context_width_ = 0;
  int context_height_ = 0;
  int context_format_ = -1;
};

}  // namespace msearch::media
