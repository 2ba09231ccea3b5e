#include "media/jpeg_output.h"

#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "common/uuid.h"
#include "media/media_error.h"
#include "media/vips_error.h"

namespace msearch::media {
namespace {

vips::VImage ToOpaqueSrgb(vips::VImage image) {
  if (image.interpretation() != VIPS_INTERPRETATION_sRGB) {
    image = image.colourspace(VIPS_INTERPRETATION_sRGB);
  }
  if (image.has_alpha()) {
    image = image.flatten(
        vips::VImage::option()->set("background", std::vector<double>{255, 255, 255}));
  }
  if (image.bands() > 3) image = image.extract_band(0, vips::VImage::option()->set("n", 3));
  if (image.format() != VIPS_FORMAT_UCHAR) image = image.cast(VIPS_FORMAT_UCHAR);
  return image;
}

}  // namespace

void WriteThumbnailJpeg(vips::VImage image, const std::filesystem::path& source,
                        const std::filesystem::path& output) {
  std::error_code error;
  std::filesystem::path directory = output.parent_path();
  if (!directory.empty()) std::filesystem::create_directories(directory, error);
  if (error) {
    throw MediaError(fmt::format("cannot write the thumbnail '{}': cannot create its directory: {}",
                                 output.string(), error.message()));
  }

  std::filesystem::path temporary = output;
  temporary += ".tmp-" + NewUuid();
  ClearStaleVipsErrors();
  try {
    ToOpaqueSrgb(std::move(image))
        .jpegsave(temporary.c_str(), vips::VImage::option()
                                         ->set("Q", kThumbnailJpegQuality)
                                         ->set("strip", true)
                                         ->set("optimize_coding", true));
  } catch (const vips::VError& vips_error) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw MediaError(fmt::format("cannot make a thumbnail of '{}' at '{}': {}", source.string(),
                                 output.string(), TakeVipsErrorText(vips_error)));
  }

  std::filesystem::rename(temporary, output, error);
  if (error) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw MediaError(fmt::format("cannot write the thumbnail '{}': rename failed: {}",
                                 output.string(), error.message()));
  }
}

}  // namespace msearch::media
