#include "media/image_pixels.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include <fmt/format.h>
#include <glib.h>
#include <vips/vips8>

#include "media/image_format.h"
#include "media/image_open.h"
#include "media/init.h"
#include "media/media_error.h"
#include "media/vips_error.h"

namespace msearch::media {
namespace {

int AppliedOrientation(const vips::VImage& header) {
  return header.get_typeof(VIPS_META_ORIENTATION) != 0 ? header.get_int(VIPS_META_ORIENTATION) : 1;
}

// Returns the thumbnail box whose fit makes the upright image's shorter side
// `short_side`. libvips fits the image inside the box, so the longer side of
// the box limits only images longer than kMaxAspectRatio x short_side.
std::pair<int, int> ThumbnailBox(const vips::VImage& header, int short_side) {
  int width = header.width();
  int height = header.height();
  int orientation = AppliedOrientation(header);
  if (orientation >= 5 && orientation <= 8) std::swap(width, height);
  int long_side = static_cast<int>(
      std::min<int64_t>(int64_t{kMaxAspectRatio} * short_side, std::numeric_limits<int>::max()));
  if (width <= height) return {short_side, long_side};
  return {long_side, short_side};
}

vips::VImage Shrink(const std::filesystem::path& path, ImageFormat format,
                    const vips::VImage& header, int short_side) {
  auto [box_width, box_height] = ThumbnailBox(header, short_side);
  // NOTE: unlike thumbnails (see NeedsIccTransform), these pixels go through
  // libvips's ICC transform to sRGB even without an embedded profile. With
  // libvips 8.14 that transform is not neutral: it maps grey 16 to 6, white
  // to (250, 253, 253) and yellow to (243, 254, 25). OCR reads the burnt-in
  // caption "18:30" of a corpus video only with the shift. Skipping the
  // transform would be about a fifth faster, but must wait until OCR does
  // not depend on the shift.
  vips::VOption* options = vips::VImage::option()
                               ->set("height", box_height)
                               ->set("size", VIPS_SIZE_DOWN)
                               ->set("export_profile", "srgb");
  // libvips has no BMP loader of its own, so the header (read by ImageMagick)
  // is shrunk directly. Other formats reload through a source, which lets the
  // JPEG and WebP loaders decode at reduced size.
  if (format == ImageFormat::kBmp) return header.thumbnail_image(box_width, options);
  vips::VSource source = vips::VSource::new_from_file(path.c_str());
  return vips::VImage::thumbnail_source(source, box_width,
                                        options->set("option_string", kLoaderFailOnTruncated));
}

vips::VImage ToOpaqueRgb(vips::VImage image) {
  // colourspace() also converts 16-bit RGB and grey to 8-bit sRGB.
  if (image.interpretation() != VIPS_INTERPRETATION_sRGB || image.format() != VIPS_FORMAT_UCHAR) {
    image = image.colourspace(VIPS_INTERPRETATION_sRGB);
  }
  if (image.has_alpha()) {
    double grey = kAlphaBackgroundGrey;
    image = image.flatten(
        vips::VImage::option()->set("background", std::vector<double>{grey, grey, grey}));
  }
  if (image.bands() > 3) image = image.extract_band(0, vips::VImage::option()->set("n", 3));
  if (image.bands() == 1) image = image.bandjoin({image, image});
  if (image.format() != VIPS_FORMAT_UCHAR) image = image.cast(VIPS_FORMAT_UCHAR);
  return image;
}

RgbImage CopyPixels(const vips::VImage& image) {
  size_t size = 0;
  // write_to_memory runs the lazy pipeline, so decoding errors surface here.
  void* memory = image.write_to_memory(&size);
  RgbImage result;
  result.width = image.width();
  result.height = image.height();
  result.rgb.resize(size);
  std::memcpy(result.rgb.data(), memory, size);
  g_free(memory);
  return result;
}

}  // namespace

RgbImage DecodeRgb(const std::filesystem::path& path, int short_side, const DecodeLimits& limits) {
  EnsureMediaInitialized();
  if (short_side < 1) {
    throw MediaError(
        fmt::format("cannot decode '{}': the requested shorter side {} is not positive",
                    path.string(), short_side));
  }
  ImageFormat format = DetectImageFormat(path);
  vips::VImage header = OpenImage(path, format);
  if (!CanShrinkWithinLimits(format, header, limits)) {
    throw MediaError(fmt::format(
        "cannot decode '{}': image too large ({}x{} = {:.0f} megapixels exceeds the "
        "{:.0f}-megapixel decode limit, and {} cannot be decoded at reduced size); raise the "
        "image pixel limit to allow it",
        path.string(), header.width(), header.height(),
        static_cast<double>(header.width()) * header.height() / 1e6,
        static_cast<double>(limits.max_image_pixels) / 1e6, ImageFormatName(format)));
  }

  // The aspect ratio cap bounds the output of a panorama, but a low pixel
  // limit can still be below that bound.
  const double scale = std::min(
      {1.0,
       static_cast<double>(short_side) / std::max(1, std::min(header.width(), header.height())),
       static_cast<double>(kMaxAspectRatio) * short_side /
           std::max(1, std::max(header.width(), header.height()))});
  const double output_pixels = header.width() * scale * header.height() * scale;
  if (output_pixels > static_cast<double>(limits.max_image_pixels)) {
    throw MediaError(fmt::format(
        "cannot decode '{}': image too large ({}x{} would still be {:.0f} megapixels at a "
        "shorter side of {}, over the {:.0f}-megapixel decode limit); raise the image pixel "
        "limit to allow it",
        path.string(), header.width(), header.height(), output_pixels / 1e6, short_side,
        static_cast<double>(limits.max_image_pixels) / 1e6));
  }

  ClearStaleVipsErrors();
  try {
    RgbImage result = CopyPixels(ToOpaqueRgb(Shrink(path, format, header, short_side)));
    if (result.width <= 0 || result.height <= 0 ||
        result.rgb.size() != static_cast<size_t>(result.width) * result.height * 3) {
      throw MediaError(fmt::format("cannot decode '{}': libvips returned {} bytes for {}x{} pixels",
                                   path.string(), result.rgb.size(), result.width, result.height));
    }
    return result;
  } catch (const vips::VError& error) {
    throw MediaError(
        fmt::format("cannot decode '{}' as {}: {}; the file may be truncated or corrupt",
                    path.string(), ImageFormatName(format), TakeVipsErrorText(error)));
  }
}

}  // namespace msearch::media
