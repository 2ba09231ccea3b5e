#include "media/thumbnail.h"

#include <fmt/format.h>

#include "media/av_open.h"
#include "media/file_checks.h"
#include "media/image_open.h"
#include "media/image_probe.h"
#include "media/init.h"
#include "media/jpeg_output.h"
#include "media/video_thumbnail.h"

namespace msearch::media {

bool MakeThumbnail(const std::filesystem::path& source, std::string_view kind,
                   const std::filesystem::path& output_jpeg, int max_size,
                   const DecodeLimits& limits) {
  EnsureMediaInitialized();
  if (max_size < 1) {
    throw MediaError(fmt::format("cannot make a thumbnail of '{}': invalid size {} (must be >= 1)",
                                 source.string(), max_size));
  }

  if (kind == "image") {
    OpenedImage image = OpenDetectedImage(source);
    vips::VImage small = ShrinkImage(source, image.format, image.header, max_size, limits);
    WriteThumbnailJpeg(small, source, output_jpeg);
    return true;
  }

  if (kind == "video" || kind == "audio") {
    RequireNonEmptyFile(source);
    FormatContextPtr format = OpenMediaFile(source);
    int video_index = FindVideoStream(*format);
    if (video_index >= 0) {
      MakeVideoThumbnail(source, std::move(format), video_index, output_jpeg, max_size);
      return true;
    }
    return MakeCoverArtThumbnail(source, *format, output_jpeg, max_size, limits);
  }

  throw MediaError(
      fmt::format("cannot make a thumbnail of '{}': unknown media kind '{}' "
                  "(expected image, video or audio)",
                  source.string(), kind));
}

}  // namespace msearch::media
