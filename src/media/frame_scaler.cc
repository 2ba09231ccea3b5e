#include "media/frame_scaler.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

extern "C" {
#include <libavutil/imgutils.h>
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

// Returns a cached context for converting `input_width` x `input_height`
// pixels of `input_format` to `width` x `height` in `output_format`,
// creating it when the input size or format changed. The output size
// depends only on the input size, so it needs no check of its own.
SwsContext& CachedContext(SwsContextPtr& context, int& cached_width, int& cached_height,
                          int& cached_format, int input_width, int input_height, int input_format,
                          int width, int height, AVPixelFormat output_format, int flags,
                          const std::filesystem::path& source) {
  if (context && cached_width == input_width && cached_height == input_height &&
      cached_format == input_format) {
    return *context;
  }
  auto pixel_format = static_cast<AVPixelFormat>(input_format);
  context.reset(sws_getContext(input_width, input_height, pixel_format, width, height,
                               output_format, flags, nullptr, nullptr, nullptr));
  if (!context) {
    const char* name = av_get_pix_fmt_name(pixel_format);
    throw MediaError(fmt::format(
        "cannot convert the video frames of '{}': swscale does not "
        "support pixel format {} at {}x{}",
        source.string(), name != nullptr ? name : "unknown", input_width, input_height));
  }
  cached_width = input_width;
  cached_height = input_height;
  cached_format = input_format;
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

// The mapping of a stored frame to its model pixels before rotation: the
// source columns or rows kept (the centre, when the frame is wider or
// taller than kMaxAspectRatio allows) and the size they are scaled to.
struct FrameLayout {
  int crop_x = 0;  // first source column kept
  int crop_y = 0;  // first source row kept
  int crop_width = 0;
  int crop_height = 0;
  int width = 0;  // output size, the shorter side `short_side`
  int height = 0;
};

// Rounds `value` down to a multiple of 2^`log2`, so a crop starts on a
// chroma sample.
int AlignDown(int value, int log2) { return (value >> log2) << log2; }

FrameLayout LayoutFrame(int width, int height, double sample_aspect_ratio, int short_side,
                        int chroma_log2_width, int chroma_log2_height) {
  double aspect = sample_aspect_ratio > 0 ? sample_aspect_ratio : 1.0;
  double display_width = width * aspect;
  double display_height = height;
  double scale = short_side / std::max(1e-9, std::min(display_width, display_height));

  FrameLayout layout;
  layout.crop_width = width;
  layout.crop_height = height;
  const double max_long_side = kMaxAspectRatio * short_side;
  if (display_width * scale > max_long_side) {
    int kept_columns = static_cast<int>(std::ceil(max_long_side / (aspect * scale)));
    layout.crop_x = AlignDown((width - kept_columns) / 2, chroma_log2_width);
    layout.crop_width = std::min(width - layout.crop_x, kept_columns);
  } else if (display_height * scale > max_long_side) {
    int kept_rows = static_cast<int>(std::ceil(max_long_side / scale));
    layout.crop_y = AlignDown((height - kept_rows) / 2, chroma_log2_height);
    layout.crop_height = std::min(height - layout.crop_y, kept_rows);
  }
  layout.width =
      std::max(1, std::min(static_cast<int>(std::lround(max_long_side)),
                           static_cast<int>(std::lround(layout.crop_width * aspect * scale))));
  layout.height = std::max(1, std::min(static_cast<int>(std::lround(max_long_side)),
                                       static_cast<int>(std::lround(layout.crop_height * scale))));
  return layout;
}

// Points `data` at the pixel (`x`, `y`) of every plane of `frame`. Returns
// false for formats whose pixels do not start on byte boundaries and for
// palette formats, whose second plane is the palette.
bool OffsetPlanes(const AVFrame& frame, int x, int y, const uint8_t* data[4]) {
  const AVPixFmtDescriptor* descriptor =
      av_pix_fmt_desc_get(static_cast<AVPixelFormat>(frame.format));
  constexpr uint64_t kUnsupported =
      AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_PAL;
  if (descriptor == nullptr || (descriptor->flags & kUnsupported) != 0) return false;
  int steps[4] = {0, 0, 0, 0};
  av_image_fill_max_pixsteps(steps, nullptr, descriptor);
  for (int plane = 0; plane < 4; ++plane) {
    if (frame.data[plane] == nullptr) {
      data[plane] = nullptr;
      continue;
    }
    bool chroma = plane == 1 || plane == 2;
    int plane_x = chroma ? x >> descriptor->log2_chroma_w : x;
    int plane_y = chroma ? y >> descriptor->log2_chroma_h : y;
    data[plane] = frame.data[plane] + static_cast<ptrdiff_t>(plane_y) * frame.linesize[plane] +
                  static_cast<ptrdiff_t>(plane_x) * steps[plane];
  }
  return true;
}

FrameLayout LayoutFrame(const AVFrame& frame, double sample_aspect_ratio, int short_side) {
  const AVPixFmtDescriptor* descriptor =
      av_pix_fmt_desc_get(static_cast<AVPixelFormat>(frame.format));
  int log2_width = descriptor != nullptr ? descriptor->log2_chroma_w : 0;
  int log2_height = descriptor != nullptr ? descriptor->log2_chroma_h : 0;
  return LayoutFrame(frame.width, frame.height, sample_aspect_ratio, short_side, log2_width,
                     log2_height);
}

}  // namespace

std::pair<int, int> ScaledDisplaySize(int width, int height, const FrameGeometry& geometry,
                                      int short_side) {
  FrameLayout layout = LayoutFrame(width, height, geometry.sample_aspect_ratio, short_side, 0, 0);
  if (SwapsSides(geometry.rotation_clockwise)) return {layout.height, layout.width};
  return {layout.width, layout.height};
}

FrameRgbConverter::FrameRgbConverter(const std::filesystem::path& source,
                                     const FrameGeometry& geometry, int short_side)
    : source_(source), geometry_(geometry), short_side_(std::max(1, short_side)) {}

RgbImage FrameRgbConverter::Convert(const AVFrame& frame) {
  FrameLayout layout = LayoutFrame(frame, geometry_.sample_aspect_ratio, short_side_);
  const uint8_t* source[4] = {frame.data[0], frame.data[1], frame.data[2], frame.data[3]};
  if ((layout.crop_x != 0 || layout.crop_y != 0) &&
      !OffsetPlanes(frame, layout.crop_x, layout.crop_y, source)) {
    // A format without byte-aligned pixels cannot be cropped, so its whole
    // width is scaled to the capped size and the picture is squeezed.
    layout.crop_x = 0;
    layout.crop_y = 0;
    layout.crop_width = frame.width;
    layout.crop_height = frame.height;
  }
  const int width = layout.width;
  const int height = layout.height;
  // Area averaging avoids aliasing when shrinking, and bicubic is smoother
  // when a small video is scaled up.
  int flags = width < layout.crop_width || height < layout.crop_height ? SWS_AREA : SWS_BICUBIC;
  SwsContext& context = CachedContext(context_, context_width_, context_height_, context_format_,
                                      layout.crop_width, layout.crop_height, frame.format, width,
                                      height, AV_PIX_FMT_RGB24, flags | SWS_ACCURATE_RND, source_);
  ApplyFrameColorspace(context, frame);

  RgbImage image;
  image.width = width;
  image.height = height;
  image.rgb.resize(static_cast<size_t>(width) * height * 3);
  uint8_t* destination[4] = {image.rgb.data(), nullptr, nullptr, nullptr};
  int destination_stride[4] = {width * 3, 0, 0, 0};
  sws_scale(&context, source, frame.linesize, 0, layout.crop_height, destination,
            destination_stride);
  return Rotate(std::move(image), geometry_.rotation_clockwise);
}

FrameAnalysisScaler::FrameAnalysisScaler(const std::filesystem::path& source) : source_(source) {}

AnalysisImage FrameAnalysisScaler::Scale(const AVFrame& frame) {
  AnalysisImage image(3 * static_cast<size_t>(kAnalysisPlaneSize));
  SwsContext& context = CachedContext(context_, context_width_, context_height_, context_format_,
                                      frame.width, frame.height, frame.format, kAnalysisWidth,
                                      kAnalysisHeight, AV_PIX_FMT_YUV444P, SWS_AREA, source_);
  uint8_t* destination[4] = {image.data(), image.data() + kAnalysisPlaneSize,
                             image.data() + 2 * kAnalysisPlaneSize, nullptr};
  int destination_stride[4] = {kAnalysisWidth, kAnalysisWidth, kAnalysisWidth, 0};
  sws_scale(&context, frame.data, frame.linesize, 0, frame.height, destination, destination_stride);
  return image;
}

}  // namespace msearch::media
