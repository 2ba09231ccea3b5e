#include "media/media_kind.h"

#include <array>
#include <cctype>
#include <string>

namespace msearch::media {
namespace {

struct ExtensionKind {
  std::string_view extension;
  std::string_view kind;
};

constexpr std::array kExtensionKinds = {
    ExtensionKind{"jpg", "image"},  ExtensionKind{"jpeg", "image"}, ExtensionKind{"png", "image"},
    ExtensionKind{"gif", "image"},  ExtensionKind{"webp", "image"}, ExtensionKind{"bmp", "image"},
    ExtensionKind{"tif", "image"},  ExtensionKind{"tiff", "image"}, ExtensionKind{"heic", "image"},
    ExtensionKind{"heif", "image"}, ExtensionKind{"avif", "image"},

    ExtensionKind{"mp4", "video"},  ExtensionKind{"mov", "video"},  ExtensionKind{"mkv", "video"},
    ExtensionKind{"webm", "video"}, ExtensionKind{"avi", "video"},  ExtensionKind{"m4v", "video"},
    ExtensionKind{"mpg", "video"},  ExtensionKind{"mpeg", "video"}, ExtensionKind{"ts", "video"},
    ExtensionKind{"mts", "video"},  ExtensionKind{"m2ts", "video"}, ExtensionKind{"wmv", "video"},
    ExtensionKind{"flv", "video"},  ExtensionKind{"3gp", "video"},

    ExtensionKind{"mp3", "audio"},  ExtensionKind{"wav", "audio"},  ExtensionKind{"flac", "audio"},
    ExtensionKind{"ogg", "audio"},  ExtensionKind{"oga", "audio"},  ExtensionKind{"opus", "audio"},
    ExtensionKind{"m4a", "audio"},  ExtensionKind{"aac", "audio"},  ExtensionKind{"wma", "audio"},
    ExtensionKind{"aiff", "audio"}, ExtensionKind{"aif", "audio"},
};

}  // namespace

std::optional<std::string> KindForExtension(std::string_view extension) {
  if (!extension.empty() && extension.front() == '.') extension.remove_prefix(1);
  std::string lower;
  lower.reserve(extension.size());
  for (char c : extension) {
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  for (const auto& entry : kExtensionKinds) {
    if (entry.extension == lower) return std::string(entry.kind);
  }
  return std::nullopt;
}

}  // namespace msearch::media
