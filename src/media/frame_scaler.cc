#include "media/frame_scaler.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "media/media_error.h"

namespace msearch::media {
namespace {

// Tells swscale the frame's YUV matrix and range, which it would otherwise
// assume to be BT.601 limited range, and requests full-range output.
void ApplyFrameColorspace(SwsContext& context, const AVFrame& frame) {
  int* inverse_table = nullptr;
  int* table = nullptr;
  int source_range = 0;
  int destination_range = 0;
  int brightness = 0;
  int contrast = 0;
  int saturation = 0;
  if (sws_getColorspaceDetails(&context, &inverse_table, &source_range, &table, &destination_range,
                               &brightness, &contrast, &saturation) < 0) {
    return;
  }
  int colorspace = frame.colorspace == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : frame.colorspace;
  const int* coefficients = sws_getCoefficients(colorspace);
  if (frame.color_range == AVCOL_RANGE_JPEG) source_range = 1;
  sws_setColorspaceDetails(&context, coefficients, source_range, table, 1, brightness, contrast,
                           saturation);
}

// Returns a cached context for converting `frame` to `width` x `height` in
// `output_format`, creating it when the frame's size or format changed.
SwsContext& CachedContext(SwsContextPtr& context, int& cached_width, int& cached_height,
                          int& cached_format, const AVFrame& frame, int width, int height,
                          AVPixelFormat output_format, int flags,
                          const std::filesystem::path& source) {
  if (context && cached_width == frame.width && cached_height == frame.height &&
      cached_format == frame.format) {
    return *context;
  }
  auto input_format = static_cast<AVPixelFormat>(frame.format);
  context.reset(sws_getContext(frame.width, frame.height, input_format, width, height,
                               output_format, flags, nullptr, nullptr, nullptr));
  if (!context) {
    const char* name = av_get_pix_fmt_name(input_format);
    throw MediaError(fmt::format(
        "cannot convert the video frames of '{}': swscale does not "
        "support pixel format {} at {}x{}",
        source.string(), name != nullptr ? name : "unknown", frame.width, frame.height));
  }
  cached_width = frame.width;
  cached_height = frame.height;
  cached_format = frame.format;
  return *context;
}

// Returns `image` turned clockwise by `degrees` (90, 180 or 270). Any other
// value returns it unchanged.
RgbImage Rotate(RgbImage image, int degrees) {
  if (degrees != 90 && degrees != 180 && degrees != 270) return image;
  const int width = image.width;
  const int height = image.height;
  RgbImage rotated;
  rotated.width = degrees == 180 ? width : height;
  rotated.height = degrees == 180 ? height : width;
  rotated.rgb.resize(image.rgb.size());
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      int target_x = x;
      int target_y = y;
      if (degrees == 90) {
        target_x = height - 1 - y;
        target_y = x;
      } else if (degrees == 180) {
        target_x = width - 1 - x;
        target_y = height - 1 - y;
      } else {
        target_x = y;
        target_y = width - 1 - x;
      }
      const uint8_t* from = &image.rgb[(static_cast<size_t>(y) * width + x) * 3];
      uint8_t* to = &rotated.rgb[(static_cast<size_t>(target_y) * rotated.width + target_x) * 3];
      to[0] = from[0];
      to[1] = from[1];
      to[2] = from[2];
    }
  }
  return rotated;
}

bool SwapsSides(int rotation_clockwise) {
  return rotation_clockwise == 90 || rotation_clockwise == 270;
}

// The size of the frame before rotation, with the aspect ratio applied and
// the shorter side scaled to `short_side`.
std::pair<int, int> ScaledStoredSize(int width, int height, double sample_aspect_ratio,
                                     int short_side) {
  double display_width = width * (sample_aspect_ratio > 0 ? sample_aspect_ratio : 1.0);
  double display_height = height;
  double scale = short_side / std::max(1e-9, std::min(display_width, display_height));
  int scaled_width = std::max(1, static_cast<int>(std::lround(display_width * scale)));
  int scaled_height = std::max(1, static_cast<int>(std::lround(display_height * scale)));
  return {scaled_width, scaled_height};
}

}  // namespace

std::pair<int, int> ScaledDisplaySize(int width, int height, const FrameGeometry& geometry,
                                      int short_side) {
  auto [scaled_width, scaled_height] =
      ScaledStoredSize(width, height, geometry.sample_aspect_ratio, short_side);
  if (SwapsSides(geometry.rotation_clockwise)) return {scaled_height, scaled_width};
  return {scaled_width, scaled_height};
}

FrameRgbConverter::FrameRgbConverter(const std::filesystem::path& source,
                                     const FrameGeometry& geometry, int short_side)
    : source_(source), geometry_(geometry), short_side_(std::max(1, short_side)) {}

RgbImage FrameRgbConverter::Convert(const AVFrame& frame) {
  auto [width, height] =
      ScaledStoredSize(frame.width, frame.height, geometry_.sample_aspect_ratio, short_side_);
  // Area averaging avoids aliasing when shrinking, and bicubic is smoother
  // when a small video is scaled up.
  int flags = width < frame.width || height < frame.height ? SWS_AREA : SWS_BICUBIC;
  SwsContext& context =
      CachedContext(context_, context_width_, context_height_, context_format_, frame, width,
                    height, AV_PIX_FMT_RGB24, flags | SWS_ACCURATE_RND, source_);
  ApplyFrameColorspace(context, frame);

  RgbImage image;
  image.width = width;
  image.height = height;
  image.rgb.resize(static_cast<size_t>(width) * height * 3);
  uint8_t* destination[4] = {image.rgb.data(), nullptr, nullptr, nullptr};
  int destination_stride[4] = {width * 3, 0, 0, 0};
  sws_scale(&context, frame.data, frame.linesize, 0, frame.height, destination, destination_stride);
  return Rotate(std::move(image), geometry_.rotation_clockwise);
}

FrameAnalysisScaler::FrameAnalysisScaler(const std::filesystem::path& source) : source_(source) {}

AnalysisImage FrameAnalysisScaler::Scale(const AVFrame& frame) {
  SwsContext& context =
      CachedContext(context_, context_width_, context_height_, context_format_, frame,
                    kAnalysisWidth, kAnalysisHeight, AV_PIX_FMT_YUV444P, SWS_AREA, source_);
  AnalysisImage image(3 * static_cast<size_t>(kAnalysisPlaneSize));
  uint8_t* destination[4] = {image.data(), image.data() + kAnalysisPlaneSize,
                             image.data() + 2 * kAnalysisPlaneSize, nullptr};
  int destination_stride[4] = {kAnalysisWidth, kAnalysisWidth, kAnalysisWidth, 0};
  sws_scale(&context, frame.data, frame.linesize, 0, frame.height, destination, destination_stride);
  return image;
}

}  // namespace msearch::media
