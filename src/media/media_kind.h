#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace msearch::media {

// Returns "image", "video" or "audio" for a file extension, with or without
// the leading dot and in any letter case ("JPG", ".mp4"), or nullopt for an
// extension msearch does not index. The extension only routes the file: the
// probe decides the actual format from the file content.
std::optional<std::string> KindForExtension(std::string_view extension);

}  // namespace msearch::media
