#include "preprocess/image_processor.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "preprocess/image_decode.h"
#include "preprocess/preprocess_error.h"

namespace msearch::preprocess {

ImageProcessor::ImageProcessor(ImageProcessorConfig config) : config_(std::move(config)) {}

ImageProcessor ImageProcessor::Load(const std::filesystem::path& checkpoint_dir) {
  return ImageProcessor(LoadImageProcessorConfig(checkpoint_dir / "preprocessor_config.json"));
}

std::pair<int, int> ImageProcessor::ResizedSize(int width, int height) const {
  if (!config_.do_resize) return {width, height};
  if (config_.resize_mode == ResizeMode::kFixed) {
    return {config_.resize_width, config_.resize_height};
  }
  const int target = config_.shortest_edge;
  const int short_side = std::min(width, height);
  const int long_side = std::max(width, height);
  if (short_side == target) return {width, height};
  // Python: int(target * long / short), the division in double.
  const auto new_long =
      static_cast<int>(static_cast<double>(static_cast<int64_t>(target) * long_side) / short_side);
  return width <= height ? std::pair{target, new_long} : std::pair{new_long, target};
}

RgbImage ImageProcessor::Resize(const RgbImage& image) const {
  auto [width, height] = ResizedSize(image.width, image.height);
  if (width < 1 || height < 1) {
    throw PreprocessError(fmt::format("cannot resize a {}x{} image: the result would be {}x{}",
                                      image.width, image.height, width, height));
  }
  return ResizeRgb(image, width, height, config_.resample);
}

RgbImage ImageProcessor::CenterCrop(const RgbImage& image) const {
  if (!config_.do_center_crop) return image;
  const int crop_height = config_.crop_height;
  const int crop_width = config_.crop_width;
  // Where the crop window starts in the source; negative where the source
  // is smaller than the crop and gets padded.
  auto start = [](int size, int crop) {
    if (size >= crop) return (size - crop) / 2;
    return -((crop - size) / 2);
  };
  const int top = start(image.height, crop_height);
  const int left = start(image.width, crop_width);

  RgbImage out;
  out.width = crop_width;
  out.height = crop_height;
  out.pixels.assign(static_cast<size_t>(crop_width) * crop_height * 3, 0);
  const int first_x = std::max(0, -left);
  const int last_x = std::min(crop_width, image.width - left);
  for (int y = 0; y < crop_height; ++y) {
    const int source_y = y + top;
    if (source_y < 0 || source_y >= image.height || last_x <= first_x) continue;
    std::memcpy(
        out.pixels.data() + (static_cast<size_t>(y) * crop_width + first_x) * 3,
        image.pixels.data() + (static_cast<size_t>(source_y) * image.width + (first_x + left)) * 3,
        static_cast<size_t>(last_x - first_x) * 3);
  }
  return out;
}

PixelValues ImageProcessor::ToPixelValues(const RgbImage& image) const {
  PixelValues values;
  values.height = image.height;
  values.width = image.width;
  const size_t plane = static_cast<size_t>(image.width) * static_cast<size_t>(image.height);
  values.data.resize(plane * 3);

  // Every pixel value maps through one of 256 results per channel, so the
  // arithmetic runs once per (channel, value) and matches NumPy exactly.
  float table[3][256];
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) {
      float x = config_.do_rescale ? static_cast<float>(v * config_.rescale_factor)
                                   : static_cast<float>(v);
      if (config_.do_normalize) x = (x - config_.image_mean[c]) / config_.image_std[c];
      table[c][v] = x;
    }
  }
  const uint8_t* pixel = image.pixels.data();
  for (size_t i = 0; i < plane; ++i, pixel += 3) {
    values.data[i] = table[0][pixel[0]];
    values.data[plane + i] = table[1][pixel[1]];
    values.data[2 * plane + i] = table[2][pixel[2]];
  }
  return values;
}

PixelValues ImageProcessor::Process(const RgbImage& image) const {
  if (config_.do_center_crop) return ToPixelValues(CenterCrop(Resize(image)));
  return ToPixelValues(Resize(image));
}

PixelValues ImageProcessor::ProcessFile(const std::filesystem::path& path) const {
  return Process(DecodeRgbImage(path));
}

}  // namespace msearch::preprocess
