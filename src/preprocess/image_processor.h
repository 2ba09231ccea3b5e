#pragma once

#include <filesystem>
#include <utility>
#include <vector>

#include "preprocess/image_processor_config.h"
#include "preprocess/rgb_image.h"

namespace msearch::preprocess {

// Model input for one image: float32 [3, height, width], channels first.
struct PixelValues {
  int height = 0;
  int width = 0;
  std::vector<float> data;
};

// The image pre-processing of transformers 4.27 CLIPImageProcessor and
// ChineseCLIPImageProcessor, bit-exact: resize (Pillow resampling, see
// ResizeRgb), center crop, rescale and normalize. Thread-safe: all methods
// are const.
class ImageProcessor {
 public:
  explicit ImageProcessor(ImageProcessorConfig config);

  // Reads `checkpoint_dir`/preprocessor_config.json. Throws PreprocessError
  // when it is missing or invalid.
  static ImageProcessor Load(const std::filesystem::path& checkpoint_dir);

  const ImageProcessorConfig& config() const { return config_; }

  // Returns {width, height} after the resize step for a width x height
  // image. Shortest-edge mode: the shorter side becomes shortest_edge and
  // the longer one int(shortest_edge * long / short), truncated (640x427 ->
  // 335x224); an image whose shorter side already has that length keeps its
  // size.
  std::pair<int, int> ResizedSize(int width, int height) const;

  // The resize step alone (a copy when do_resize is false).
  RgbImage Resize(const RgbImage& image) const;

  // The center crop step alone: crop_height x crop_width from
  // top = (height - crop_height) / 2, left = (width - crop_width) / 2
  // (rounded down). A side shorter than the crop is padded with black,
  // centred. A copy when do_center_crop is false.
  RgbImage CenterCrop(const RgbImage& image) const;

  // The rescale and normalize steps: x = float32(u8 * rescale_factor), with
  // the product in double as NumPy computes it, then (x - mean) / std in
  // float32; the layout becomes channels first.
  PixelValues ToPixelValues(const RgbImage& image) const;

  // All steps.
  PixelValues Process(const RgbImage& image) const;

  // DecodeRgbImage, then all steps. Throws PreprocessError for an image
  // that cannot be decoded.
  PixelValues ProcessFile(const std::filesystem::path& path) const;

 private:
  ImageProcessorConfig config_;
};

}  // namespace msearch::preprocess
