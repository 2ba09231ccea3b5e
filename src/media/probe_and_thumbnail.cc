#include "media/probe_and_thumbnail.h"

#include <spdlog/spdlog.h>

#include "media/av_probe.h"
#include "media/image_open.h"
#include "media/image_probe.h"
#include "media/init.h"
#include "media/jpeg_output.h"
#include "media/probe.h"

namespace msearch::media {

ProbeAndThumbnailResult ProbeAndThumbnail(const std::filesystem::path& path, std::string_view kind,
                                          const std::filesystem::path& output_jpeg, int max_size,
                                          const DecodeLimits& limits) {
  EnsureMediaInitialized();
  ProbeAndThumbnailResult result;

  if (kind == "image") {
    OpenedImage image = OpenDetectedImage(path);
    result.info = DescribeImage(path, image);
    try {
      RequireShrinkWithinLimits(path, image.format, image.header, limits);
    } catch (const MediaError& error) {
      result.thumbnail_error = error.what();
      return result;
    }
    vips::VImage small = ShrinkImage(path, image.format, image.header, max_size, limits);
    WriteThumbnailJpeg(small, path, output_jpeg);
    result.has_thumbnail = true;
    return result;
  }

  result.info = ProbeFile(path, kind, limits);
  try {
    result.has_thumbnail = MakeThumbnail(path, kind, output_jpeg, max_size, limits);
  } catch (const MediaError& error) {
    spdlog::warn("media: '{}' probed but its thumbnail failed: {}", path.string(), error.what());
    result.thumbnail_error = error.what();
  }
  return result;
}

}  // namespace msearch::media
