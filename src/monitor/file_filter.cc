#include "monitor/file_filter.h"

#include <array>
#include <utility>

#include <fnmatch.h>
#include <spdlog/spdlog.h>

namespace msearch::monitor {
namespace {

constexpr std::string_view kImage = "image";
constexpr std::string_view kVideo = "video";
constexpr std::string_view kAudio = "audio";

constexpr std::array<std::pair<std::string_view, std::string_view>, 36> kExtensionKinds = {{
    {".jpg", kImage},  {".jpeg", kImage}, {".png", kImage},  {".gif", kImage},  {".webp", kImage},
    {".bmp", kImage},  {".tif", kImage},  {".tiff", kImage}, {".heic", kImage}, {".heif", kImage},
    {".avif", kImage}, {".mp4", kVideo},  {".mov", kVideo},  {".mkv", kVideo},  {".webm", kVideo},
    {".avi", kVideo},  {".m4v", kVideo},  {".mpg", kVideo},  {".mpeg", kVideo}, {".ts", kVideo},
    {".mts", kVideo},  {".m2ts", kVideo}, {".wmv", kVideo},  {".flv", kVideo},  {".3gp", kVideo},
    {".mp3", kAudio},  {".wav", kAudio},  {".flac", kAudio}, {".ogg", kAudio},  {".oga", kAudio},
    {".opus", kAudio}, {".m4a", kAudio},  {".aac", kAudio},  {".wma", kAudio},  {".aiff", kAudio},
    {".aif", kAudio},
}};

}  // namespace

std::optional<std::string_view> KindForExtension(std::string_view extension) {
  for (const auto& [known, kind] : kExtensionKinds) {
    if (known == extension) return kind;
  }
  return std::nullopt;
}

std::string LowerExtension(std::string_view file_name) {
  size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  std::string extension(file_name.substr(dot));
  for (char& c : extension) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return extension;
}

FileFilter::FileFilter(const config::FileMonitorConfig& config)
    : ignore_patterns_(config.ignore_patterns) {
  if (config.supported_extensions.empty()) {
    for (const auto& [extension, kind] : kExtensionKinds) kinds_.emplace(extension, kind);
    return;
  }
  for (const std::string& configured : config.supported_extensions) {
    // The loader stores ".jpg"; accept "jpg" as well for configs built in code.
    std::string extension =
        LowerExtension(configured.starts_with('.') ? "file" + configured : "file." + configured);
    if (std::optional<std::string_view> kind = KindForExtension(extension)) {
      kinds_.emplace(extension, *kind);
    } else {
      spdlog::warn(
          "file monitor: supported extension '{}' is not an image, video or audio type msearch "
          "knows; files with it are not indexed",
          configured);
    }
  }
}

std::optional<std::string_view> FileFilter::KindOf(std::string_view file_name) const {
  std::string extension = LowerExtension(file_name);
  if (extension.empty()) return std::nullopt;
  auto found = kinds_.find(extension);
  if (found == kinds_.end()) return std::nullopt;
  if (IsIgnored(file_name)) return std::nullopt;
  return found->second;
}

bool FileFilter::AllowsDirectory(std::string_view directory_name) const {
  return !IsIgnored(directory_name);
}

bool FileFilter::IsIgnored(std::string_view name) const {
  if (ignore_patterns_.empty()) return false;
  std::string terminated(name);
  for (const std::string& pattern : ignore_patterns_) {
    if (fnmatch(pattern.c_str(), terminated.c_str(), FNM_CASEFOLD) == 0) return true;
  }
  return false;
}

}  // namespace msearch::monitor
