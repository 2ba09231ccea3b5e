#include "media/probe.h"

#include <fmt/format.h>

#include "media/av_probe.h"
#include "media/image_probe.h"
#include "media/init.h"

namespace msearch::media {

store::MediaInfo ProbeFile(const std::filesystem::path& path, std::string_view kind,
                           const DecodeLimits& limits) {
  EnsureMediaInitialized();
  if (kind == "image") {
    OpenedImage image = OpenDetectedImage(path);
    store::MediaInfo info = DescribeImage(path, image);
    ValidateImagePixels(path, image, limits);
    return info;
  }
  if (kind == "video" || kind == "audio") return ProbeAudioVideo(path);
  throw MediaError(
      fmt::format("cannot probe '{}': unknown media kind '{}' (expected image, video "
                  "or audio)",
                  path.string(), kind));
}

}  // namespace msearch::media
