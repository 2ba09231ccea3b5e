#include "media/video_thumbnail.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <fmt/format.h>
#include <vips/vips8>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "media/av_open.h"
#include "media/image_format.h"
#include "media/image_open.h"
#include "media/jpeg_output.h"
#include "media/media_error.h"
#include "media/video_frame.h"
#include "media/vips_error.h"

namespace msearch::media {
namespace {

// Uses the frame's YUV matrix and range, which swscale would otherwise
// assume to be BT.601 limited range.
void SetColorspace(SwsContext& context, const AVFrame& frame) {
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
  source_range = frame.color_range == AVCOL_RANGE_JPEG ? 1 : source_range;
  sws_setColorspaceDetails(&context, coefficients, source_range, table, 1, brightness, contrast,
                           saturation);
}

vips::VImage Rotate(const vips::VImage& image, int rotation_clockwise) {
  switch (rotation_clockwise) {
    case 90:
      return image.rot(VIPS_ANGLE_D90);
    case 180:
      return image.rot(VIPS_ANGLE_D180);
    case 270:
      return image.rot(VIPS_ANGLE_D270);
    default:
      // NOTE: other angles and mirrored display matrices are shown unrotated.
      return image;
  }
}

}  // namespace

void MakeVideoThumbnail(const std::filesystem::path& path, FormatContextPtr format,
                        int stream_index, const std::filesystem::path& output, int max_size) {
  RepresentativeFrame decoded = DecodeRepresentativeFrame(path, std::move(format), stream_index);
  const AVFrame& frame = *decoded.frame;
  if (frame.width <= 0 || frame.height <= 0) {
    throw MediaError(
        fmt::format("cannot make a thumbnail of '{}': the decoded frame is empty", path.string()));
  }

  double display_width = frame.width * decoded.sample_aspect_ratio;
  double display_height = frame.height;
  double scale = std::min(1.0, max_size / std::max(display_width, display_height));
  int width = std::max(1, static_cast<int>(std::lround(display_width * scale)));
  int height = std::max(1, static_cast<int>(std::lround(display_height * scale)));

  auto pixel_format = static_cast<AVPixelFormat>(frame.format);
  SwsContextPtr scaler(sws_getContext(frame.width, frame.height, pixel_format, width, height,
                                      AV_PIX_FMT_RGB24, SWS_AREA, nullptr, nullptr, nullptr));
  if (!scaler) {
    const char* name = av_get_pix_fmt_name(pixel_format);
    throw MediaError(fmt::format("cannot make a thumbnail of '{}': cannot convert pixel format {}",
                                 path.string(), name != nullptr ? name : "unknown"));
  }
  SetColorspace(*scaler, frame);

  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
  uint8_t* destination[4] = {rgb.data(), nullptr, nullptr, nullptr};
  int destination_stride[4] = {width * 3, 0, 0, 0};
  sws_scale(scaler.get(), frame.data, frame.linesize, 0, frame.height, destination,
            destination_stride);

  vips::VImage image;
  ClearStaleVipsErrors();
  try {
    // new_from_memory does not copy: `rgb` outlives every use of `image`.
    image =
        vips::VImage::new_from_memory(rgb.data(), rgb.size(), width, height, 3, VIPS_FORMAT_UCHAR)
            .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
    image = Rotate(image, decoded.rotation_clockwise);
  } catch (const vips::VError& error) {
    throw MediaError(fmt::format("cannot make a thumbnail of '{}': {}", path.string(),
                                 TakeVipsErrorText(error)));
  }
  WriteThumbnailJpeg(image, path, output);
}

bool MakeCoverArtThumbnail(const std::filesystem::path& path, const AVFormatContext& format,
                           const std::filesystem::path& output, int max_size,
                           const DecodeLimits& limits) {
  int index = FindCoverArtStream(format);
  if (index < 0) return false;
  const AVPacket& picture = format.streams[index]->attached_pic;
  std::span<const unsigned char> bytes(picture.data, static_cast<size_t>(picture.size));

  std::optional<ImageFormat> picture_format = SniffImageFormat(bytes);
  if (!picture_format || *picture_format == ImageFormat::kBmp) {
    throw MediaError(fmt::format(
        "cannot make a thumbnail of '{}': its cover art is not a supported image format",
        path.string()));
  }
  ClearStaleVipsErrors();
  try {
    vips::VImage header = vips::VImage::new_from_source(
        vips::VSource::new_from_memory(bytes.data(), bytes.size()), "",
        vips::VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL));
    int64_t pixels = static_cast<int64_t>(header.width()) * header.height();
    if (pixels > limits.max_image_pixels && !SupportsShrinkOnLoad(*picture_format)) {
      throw MediaError(
          fmt::format("cannot make a thumbnail of '{}': its cover art is too large ({}x{})",
                      path.string(), header.width(), header.height()));
    }
    vips::VOption* options =
        vips::VImage::option()->set("height", max_size)->set("size", VIPS_SIZE_DOWN);
    if (NeedsIccTransform(header)) options->set("export_profile", "srgb");
    vips::VImage thumbnail = vips::VImage::thumbnail_source(
        vips::VSource::new_from_memory(bytes.data(), bytes.size()), max_size,
        options->set("option_string", kLoaderFailOnTruncated));
    WriteThumbnailJpeg(thumbnail, path, output);
  } catch (const vips::VError& error) {
    throw MediaError(fmt::format("cannot decode the cover art of '{}': {}", path.string(),
                                 TakeVipsErrorText(error)));
  }
  return true;
}

}  // namespace msearch::media
