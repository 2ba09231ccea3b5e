#pragma once

#include <array>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "preprocess/pillow_resample.h"

namespace msearch::preprocess {

// The image processor classes of transformers 4.27 this code reproduces.
// They differ in how an integer "size" is read: CLIP resizes the shortest
// edge to it, Chinese-CLIP resizes to a size x size square.
enum class ImageProcessorKind { kClip, kChineseClip };

enum class ResizeMode {
  kShortestEdge,  // shorter side to shortest_edge, longer side scaled and truncated
  kFixed,         // exactly resize_height x resize_width, aspect ratio not kept
};

// Settings of preprocessor_config.json. Both layouts occur in released
// checkpoints: the legacy one ("size": 224, "crop_size": 224,
// "feature_extractor_type") and the one transformers >= 4.26 writes
// ("size": {"shortest_edge": 224} or {"height", "width"}, "crop_size":
// {"height", "width"}, "image_processor_type"). Missing keys take the
// defaults of the processor class, which are the values below.
struct ImageProcessorConfig {
  ImageProcessorKind kind = ImageProcessorKind::kClip;
  bool do_resize = true;
  ResizeMode resize_mode = ResizeMode::kShortestEdge;
  int shortest_edge = 224;
  int resize_height = 224;
  int resize_width = 224;
  ResampleFilter resample = ResampleFilter::kBicubic;
  bool do_center_crop = true;
  int crop_height = 224;
  int crop_width = 224;
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  // OpenAI CLIP's per-channel statistics, the default of both classes.
  std::array<float, 3> image_mean = {0.48145466F, 0.4578275F, 0.40821073F};
  std::array<float, 3> image_std = {0.26862954F, 0.26130258F, 0.27577711F};
  // Always effectively true here: images are decoded to RGB. Kept so a
  // configuration that turns it off can be reported.
  bool do_convert_rgb = true;
};

// Parses the JSON of a preprocessor_config.json. `source` names the file in
// error messages. Throws PreprocessError for an unsupported processor type
// or resampling filter, or a key of the wrong type or range.
ImageProcessorConfig ParseImageProcessorConfig(const nlohmann::json& json,
                                               const std::string& source);

// Reads and parses `path`. Throws PreprocessError naming it when it is
// missing, not JSON, or invalid as above.
ImageProcessorConfig LoadImageProcessorConfig(const std::filesystem::path& path);

}  // namespace msearch::preprocess
