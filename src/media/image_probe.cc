#include "media/image_probe.h"

#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "media/exif_fields.h"
#include "media/image_open.h"
#include "media/media_error.h"
#include "media/vips_error.h"

namespace msearch::media {
namespace {

// Maximum side length of the throwaway thumbnail that validates pixel data.
// JPEG and WebP decode at 1/8 scale for it, while the other formats decode
// every row.
constexpr int kValidationSize = 64;

std::string FormatTag(ImageFormat format, const vips::VImage& header) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kGif:
      return "gif";
    case ImageFormat::kWebp:
      return "webp";
    case ImageFormat::kTiff:
      return "tiff";
    case ImageFormat::kBmp:
      return "bmp";
    case ImageFormat::kHeif:
      break;
  }
  // HEIF files coded with HEVC are HEIC, those coded with AV1 are AVIF.
  if (header.get_typeof("heif-compression") != 0) {
    std::string compression = header.get_string("heif-compression");
    if (compression == "hevc") return "heic";
    if (compression == "av1") return "avif";
  }
  return "heif";
}

void WarnOnExtensionMismatch(const std::filesystem::path& path, ImageFormat format) {
  static LogRateLimiter limiter(20, std::chrono::seconds(60));
  auto promised = ImageFormatForExtension(path.extension().string());
  if (!promised || *promised == format) return;
  size_t suppressed = 0;
  if (!limiter.Allow("extension-mismatch", &suppressed)) return;
  spdlog::warn("media: '{}' has a {} extension but contains {} data; decoding it as {}{}",
               path.string(), ImageFormatName(*promised), ImageFormatName(format),
               ImageFormatName(format),
               suppressed > 0 ? fmt::format(" ({} similar messages suppressed)", suppressed) : "");
}

}  // namespace

OpenedImage OpenDetectedImage(const std::filesystem::path& path) {
  ImageFormat format = DetectImageFormat(path);
  return OpenedImage{format, OpenImage(path, format)};
}

store::MediaInfo DescribeImage(const std::filesystem::path& path, const OpenedImage& image) {
  const vips::VImage& header = image.header;
  WarnOnExtensionMismatch(path, image.format);

  store::MediaInfo info;
  info.kind = "image";
  info.format = FormatTag(image.format, header);
  info.stored_width = header.width();
  info.stored_height = header.height();
  info.orientation = ReadDeclaredOrientation(header, image.format == ImageFormat::kTiff);

  // The size is swapped for the orientation libvips applies when it
  // thumbnails, so the reported size always matches the thumbnail's shape.
  // libvips sets no orientation for HEIF, whose rotation libheif applies
  // while decoding.
  int applied_orientation =
      header.get_typeof(VIPS_META_ORIENTATION) != 0 ? header.get_int(VIPS_META_ORIENTATION) : 1;
  bool swaps_sides = applied_orientation >= 5 && applied_orientation <= 8;
  info.width = swaps_sides ? info.stored_height : info.stored_width;
  info.height = swaps_sides ? info.stored_width : info.stored_height;

  info.frame_count =
      header.get_typeof(VIPS_META_N_PAGES) != 0 ? header.get_int(VIPS_META_N_PAGES) : 1;
  info.has_alpha = header.has_alpha();
  info.exif = ReadExifFields(header);
  return info;
}

void ValidateImagePixels(const std::filesystem::path& path, const OpenedImage& image,
                         const DecodeLimits& limits) {
  if (!CanShrinkWithinLimits(image.format, image.header, limits)) {
    spdlog::debug("media: '{}' ({}x{}) is over the decode pixel limit; pixel data not validated",
                  path.string(), image.header.width(), image.header.height());
    return;
  }
  vips::VImage small = ShrinkImage(path, image.format, image.header, kValidationSize, limits);
  ClearStaleVipsErrors();
  try {
    // avg() forces the lazy pipeline to decode.
    small.avg();
  } catch (const vips::VError& error) {
    throw MediaError(fmt::format("cannot decode '{}' as {}: {}; the file is truncated or corrupt",
                                 path.string(), ImageFormatName(image.format),
                                 TakeVipsErrorText(error)));
  }
}

}  // namespace msearch::media
