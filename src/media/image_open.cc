#include "media/image_open.h"

#include <cstdint>

#include <fmt/format.h>

#include "media/media_error.h"
#include "media/vips_error.h"

namespace msearch::media {
namespace {

vips::VOption* LoadOptions() {
  return vips::VImage::option()
      ->set("access", VIPS_ACCESS_SEQUENTIAL)
      ->set("fail_on", VIPS_FAIL_ON_TRUNCATED);
}

int64_t PixelCount(const vips::VImage& image) {
  return static_cast<int64_t>(image.width()) * image.height();
}

}  // namespace

vips::VImage OpenImage(const std::filesystem::path& path, ImageFormat format) {
  ClearStaleVipsErrors();
  try {
    // libvips has no BMP loader of its own, so ImageMagick reads it. Every
    // other format is read through a VSource, which takes the file name
    // literally: the file-name loaders would parse "name.jpg[...]" as
    // load options.
    if (format == ImageFormat::kBmp) return vips::VImage::magickload(path.c_str(), LoadOptions());
    vips::VSource source = vips::VSource::new_from_file(path.c_str());
    return vips::VImage::new_from_source(source, "", LoadOptions());
  } catch (const vips::VError& error) {
    throw MediaError(
        fmt::format("cannot decode '{}' as {}: {}; the file may be truncated or corrupt",
                    path.string(), ImageFormatName(format), TakeVipsErrorText(error)));
  }
}

bool NeedsIccTransform(const vips::VImage& header) {
  return header.get_typeof(VIPS_META_ICC_NAME) != 0 ||
         header.interpretation() == VIPS_INTERPRETATION_CMYK;
}

bool CanShrinkWithinLimits(ImageFormat format, const vips::VImage& header,
                           const DecodeLimits& limits) {
  return PixelCount(header) <= limits.max_image_pixels || SupportsShrinkOnLoad(format);
}

void RequireShrinkWithinLimits(const std::filesystem::path& path, ImageFormat format,
                               const vips::VImage& header, const DecodeLimits& limits) {
  if (!CanShrinkWithinLimits(format, header, limits)) {
    throw MediaError(fmt::format(
        "cannot make a thumbnail of '{}': image too large ({}x{} = {:.0f} megapixels exceeds the "
        "{:.0f}-megapixel decode limit, and {} cannot be decoded at reduced size); raise the "
        "image pixel limit to allow it",
        path.string(), header.width(), header.height(), PixelCount(header) / 1e6,
        limits.max_image_pixels / 1e6, ImageFormatName(format)));
  }
}

vips::VImage ShrinkImage(const std::filesystem::path& path, ImageFormat format,
                         const vips::VImage& header, int max_size, const DecodeLimits& limits) {
  RequireShrinkWithinLimits(path, format, header, limits);
  ClearStaleVipsErrors();
  try {
    vips::VOption* options =
        vips::VImage::option()->set("height", max_size)->set("size", VIPS_SIZE_DOWN);
    if (NeedsIccTransform(header)) options->set("export_profile", "srgb");
    if (format == ImageFormat::kBmp) return header.thumbnail_image(max_size, options);
    vips::VSource source = vips::VSource::new_from_file(path.c_str());
    return vips::VImage::thumbnail_source(source, max_size,
                                          options->set("option_string", kLoaderFailOnTruncated));
  } catch (const vips::VError& error) {
    throw MediaError(
        fmt::format("cannot decode '{}' as {}: {}; the file may be truncated or corrupt",
                    path.string(), ImageFormatName(format), TakeVipsErrorText(error)));
  }
}

}  // namespace msearch::media
