#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>

namespace msearch::media {

// Image container formats msearch decodes. kHeif covers HEIC and AVIF, which
// share the ISO base media file layout and one libvips loader.
enum class ImageFormat { kJpeg, kPng, kGif, kWebp, kTiff, kBmp, kHeif };

// Bytes SniffImageFormat needs from the start of a file.
inline constexpr size_t kImageSignatureBytes = 32;

// Identifies the format from the first bytes of a file (its signature), or
// returns nullopt when none matches.
std::optional<ImageFormat> SniffImageFormat(std::span<const unsigned char> header);

// The format a file extension ("jpg", ".PNG") promises, or nullopt.
std::optional<ImageFormat> ImageFormatForExtension(std::string_view extension);

// Display name: "JPEG", "PNG", "GIF", "WebP", "TIFF", "BMP", "HEIF".
std::string_view ImageFormatName(ImageFormat format);

// Returns true when the libvips loader can decode at reduced size directly
// (JPEG DCT scaling, WebP scaled decoding), so thumbnails of very large
// images need memory for the reduced size only.
bool SupportsShrinkOnLoad(ImageFormat format);

// Reads the signature of `path` and returns its format. Throws MediaError
// naming the file when it cannot be read, is empty, or matches no supported
// signature. The message says which format the extension promised.
ImageFormat DetectImageFormat(const std::filesystem::path& path);

}  // namespace msearch::media
