#include "preprocess/image_decode.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <vips/vips8>

#include "media/image_format.h"
#include "media/image_open.h"
#include "media/image_pixels.h"
#include "media/init.h"
#include "media/media_error.h"
#include "media/vips_error.h"
#include "preprocess/preprocess_error.h"

namespace msearch::preprocess {
namespace {

struct GFreeDeleter {
  void operator()(void* memory) const { g_free(memory); }
};

// Pillow's CMYK to RGB conversion: each channel is (255 - K) scaled by
// (255 - C) / 255, with Pillow's rounding for the division by 255.
uint8_t CmykChannelToRgb(uint8_t colour, uint8_t black) {
  const int inverse_black = 255 - black;
  const int product = colour * inverse_black + 128;
  const int scaled = ((product >> 8) + product) >> 8;
  return static_cast<uint8_t>(std::clamp(inverse_black - scaled, 0, 255));
}

// Reads sample `index` of `data` as 8 bits: the byte itself, or the high
// byte of a 16-bit sample.
inline uint8_t Sample(const uint8_t* data, size_t index, bool sixteen_bit) {
  if (!sixteen_bit) return data[index];
  uint16_t value;
  std::memcpy(&value, data + index * 2, sizeof(value));
  return static_cast<uint8_t>(value >> 8);
}

RgbImage ToRgb(const uint8_t* data, int width, int height, int bands, bool sixteen_bit, bool cmyk) {
  RgbImage image;
  image.width = width;
  image.height = height;
  const size_t pixel_count = static_cast<size_t>(width) * static_cast<size_t>(height);
  image.pixels.resize(pixel_count * 3);
  uint8_t* out = image.pixels.data();
  for (size_t i = 0; i < pixel_count; ++i, out += 3) {
    const size_t base = i * static_cast<size_t>(bands);
    if (bands < 3) {
      // Grayscale, with or without alpha.
      const uint8_t gray = Sample(data, base, sixteen_bit);
      out[0] = out[1] = out[2] = gray;
    } else if (cmyk && bands >= 4) {
      const uint8_t black = Sample(data, base + 3, sixteen_bit);
      for (int c = 0; c < 3; ++c) {
        out[c] = CmykChannelToRgb(Sample(data, base + static_cast<size_t>(c), sixteen_bit), black);
      }
    } else {
      // RGB; a fourth band (alpha) is dropped.
      for (int c = 0; c < 3; ++c) out[c] = Sample(data, base + static_cast<size_t>(c), sixteen_bit);
    }
  }
  return image;
}

// Crops the longer side of `image` around its centre to at most
// media::kMaxAspectRatio times the shorter side. The crop is part of the lazy
// libvips pipeline, so only the kept pixels reach memory.
vips::VImage CropToMaxAspectRatio(const vips::VImage& image) {
  const int width = image.width();
  const int height = image.height();
  const int64_t max_long_side = int64_t{media::kMaxAspectRatio} * std::min(width, height);
  if (width > max_long_side) {
    const int cropped_length = static_cast<int>(max_long_side);
    return image.crop((width - cropped_length) / 2, 0, cropped_length, height);
  }
  if (height > max_long_side) {
    const int cropped_length = static_cast<int>(max_long_side);
    return image.crop(0, (height - cropped_length) / 2, width, cropped_length);
  }
  return image;
}

}  // namespace

RgbImage DecodeRgbImage(const std::filesystem::path& path, int64_t max_pixels) {
  media::EnsureMediaInitialized();
  vips::VImage image;
  try {
    media::ImageFormat format = media::DetectImageFormat(path);
    image = media::OpenImage(path, format);
  } catch (const media::MediaError& error) {
    throw PreprocessError(error.what());
  }
  const int64_t pixels = static_cast<int64_t>(image.width()) * image.height();
  if (pixels > max_pixels) {
    throw PreprocessError(
        fmt::format("cannot decode '{}' for the model: {}x{} pixels exceeds the limit of {} pixels",
                    path.string(), image.width(), image.height(), max_pixels));
  }

  media::ClearStaleVipsErrors();
  try {
    const bool cmyk = image.interpretation() == VIPS_INTERPRETATION_CMYK;
    image = CropToMaxAspectRatio(image);
    VipsBandFormat format = image.format();
    if (format != VIPS_FORMAT_UCHAR && format != VIPS_FORMAT_USHORT) {
      image = image.cast(VIPS_FORMAT_UCHAR);
      format = VIPS_FORMAT_UCHAR;
    }
    size_t size = 0;
    std::unique_ptr<void, GFreeDeleter> memory(image.write_to_memory(&size));
    const bool sixteen_bit = format == VIPS_FORMAT_USHORT;
    const size_t expected = static_cast<size_t>(image.width()) *
                            static_cast<size_t>(image.height()) *
                            static_cast<size_t>(image.bands()) * (sixteen_bit ? 2 : 1);
    if (memory == nullptr || size != expected) {
      throw PreprocessError(
          fmt::format("cannot decode '{}': libvips returned {} bytes, expected {}", path.string(),
                      size, expected));
    }
    return ToRgb(static_cast<const uint8_t*>(memory.get()), image.width(), image.height(),
                 image.bands(), sixteen_bit, cmyk);
  } catch (const vips::VError& error) {
    throw PreprocessError(
        fmt::format("cannot decode '{}': {}; the file may be truncated or corrupt", path.string(),
                    media::TakeVipsErrorText(error)));
  }
}

}  // namespace msearch::preprocess
