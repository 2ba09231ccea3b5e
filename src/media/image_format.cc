#include "media/image_format.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "media/file_checks.h"
#include "media/media_error.h"

namespace msearch::media {
namespace {

bool StartsWith(std::span<const unsigned char> data, size_t offset, std::string_view bytes) {
  return data.size() >= offset + bytes.size() &&
         std::memcmp(data.data() + offset, bytes.data(), bytes.size()) == 0;
}

// HEIF brands (ISO/IEC 23008-12) and AVIF brands. "mif1" and "msf1" are the
// generic image and sequence brands that both use.
constexpr std::array<std::string_view, 11> kHeifBrands = {
    "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "avif", "avis", "miaf"};

std::string Lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

}  // namespace

std::optional<ImageFormat> SniffImageFormat(std::span<const unsigned char> header) {
  if (StartsWith(header, 0, "\xFF\xD8\xFF")) return ImageFormat::kJpeg;
  if (StartsWith(header, 0, "\x89PNG\r\n\x1A\n")) return ImageFormat::kPng;
  if (StartsWith(header, 0, "GIF87a") || StartsWith(header, 0, "GIF89a")) return ImageFormat::kGif;
  if (StartsWith(header, 0, "RIFF") && StartsWith(header, 8, "WEBP")) return ImageFormat::kWebp;
  if (StartsWith(header, 0, std::string_view("II*\0", 4)) ||
      StartsWith(header, 0, std::string_view("MM\0*", 4)) ||
      StartsWith(header, 0, std::string_view("II+\0", 4)) ||
      StartsWith(header, 0, std::string_view("MM\0+", 4))) {
    return ImageFormat::kTiff;
  }
  if (StartsWith(header, 0, "BM") && header.size() >= 14) return ImageFormat::kBmp;
  if (StartsWith(header, 4, "ftyp")) {
    for (std::string_view brand : kHeifBrands) {
      if (StartsWith(header, 8, brand)) return ImageFormat::kHeif;
    }
  }
  return std::nullopt;
}

std::optional<ImageFormat> ImageFormatForExtension(std::string_view extension) {
  if (!extension.empty() && extension.front() == '.') extension.remove_prefix(1);
  std::string lower = Lower(extension);
  if (lower == "jpg" || lower == "jpeg" || lower == "jpe") return ImageFormat::kJpeg;
  if (lower == "png") return ImageFormat::kPng;
  if (lower == "gif") return ImageFormat::kGif;
  if (lower == "webp") return ImageFormat::kWebp;
  if (lower == "tif" || lower == "tiff") return ImageFormat::kTiff;
  if (lower == "bmp") return ImageFormat::kBmp;
  if (lower == "heic" || lower == "heif" || lower == "avif") return ImageFormat::kHeif;
  return std::nullopt;
}

std::string_view ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kGif:
      return "GIF";
    case ImageFormat::kWebp:
      return "WebP";
    case ImageFormat::kTiff:
      return "TIFF";
    case ImageFormat::kBmp:
      return "BMP";
    case ImageFormat::kHeif:
      return "HEIF";
  }
  return "image";
}

bool SupportsShrinkOnLoad(ImageFormat format) {
  return format == ImageFormat::kJpeg || format == ImageFormat::kWebp;
}

ImageFormat DetectImageFormat(const std::filesystem::path& path) {
  RequireNonEmptyFile(path);

  std::array<unsigned char, kImageSignatureBytes> header{};
  std::ifstream file(path, std::ios::binary);
  if (!file) throw MediaError(fmt::format("cannot open '{}' for reading", path.string()));
  file.read(reinterpret_cast<char*>(header.data()), header.size());
  auto read = static_cast<size_t>(file.gcount());

  std::optional<ImageFormat> format = SniffImageFormat(std::span(header.data(), read));
  if (format) return *format;

  std::optional<ImageFormat> promised = ImageFormatForExtension(path.extension().string());
  if (promised) {
    throw MediaError(fmt::format(
        "cannot decode '{}': not a {} file (no {} signature) and no other supported image "
        "signature matches; the file may be truncated, mislabelled or not an image",
        path.string(), ImageFormatName(*promised), ImageFormatName(*promised)));
  }
  throw MediaError(fmt::format(
      "cannot decode '{}': the content matches no supported image format (JPEG, PNG, GIF, "
      "WebP, TIFF, BMP, HEIF/AVIF)",
      path.string()));
}

}  // namespace msearch::media
