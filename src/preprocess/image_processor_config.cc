#include "preprocess/image_processor_config.h"

#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "preprocess/preprocess_error.h"

namespace msearch::preprocess {
namespace {

using nlohmann::json;

std::optional<ImageProcessorKind> KindFromTypeName(const std::string& name) {
  if (name == "CLIPImageProcessor" || name == "CLIPFeatureExtractor") {
    return ImageProcessorKind::kClip;
  }
  if (name == "ChineseCLIPImageProcessor" || name == "ChineseCLIPFeatureExtractor") {
    return ImageProcessorKind::kChineseClip;
  }
  return std::nullopt;
}

class ConfigReader {
 public:
  ConfigReader(const json& config, const std::string& source) : config_(config), source_(source) {}

  [[noreturn]] void Fail(const std::string& key, const std::string& expected) const {
    throw PreprocessError(fmt::format("'{}': '{}' must be {}, got {}", source_, key, expected,
                                      config_.at(key).dump()));
  }

  bool Has(const std::string& key) const {
    return config_.contains(key) && !config_.at(key).is_null();
  }

  bool Bool(const std::string& key, bool fallback) const {
    if (!Has(key)) return fallback;
    if (!config_.at(key).is_boolean()) Fail(key, "true or false");
    return config_.at(key).get<bool>();
  }

  double PositiveNumber(const std::string& key, double fallback) const {
    if (!Has(key)) return fallback;
    const json& value = config_.at(key);
    if (!value.is_number() || value.get<double>() <= 0) Fail(key, "a positive number");
    return value.get<double>();
  }

  int PositiveInt(const json& value, const std::string& key) const {
    if (!value.is_number_integer() || value.get<int64_t>() <= 0 ||
        value.get<int64_t>() > 1'000'000) {
      Fail(key, "a positive integer size (or an object of them)");
    }
    return static_cast<int>(value.get<int64_t>());
  }

  // Reads "size" or "crop_size" given as {"height", "width"}, as
  // [height, width] or as one int for both sides.
  std::pair<int, int> HeightWidth(const std::string& key) const {
    const json& value = config_.at(key);
    if (value.is_number()) {
      int side = PositiveInt(value, key);
      return {side, side};
    }
    if (value.is_array() && value.size() == 2) {
      return {PositiveInt(value[0], key), PositiveInt(value[1], key)};
    }
    if (value.is_object() && value.contains("height") && value.contains("width")) {
      return {PositiveInt(value["height"], key), PositiveInt(value["width"], key)};
    }
    Fail(key, "an integer, [height, width] or {\"height\": h, \"width\": w}");
  }

  std::array<float, 3> Channels(const std::string& key, std::array<float, 3> fallback,
                                bool positive) const {
    if (!Has(key)) return fallback;
    const json& value = config_.at(key);
    std::array<float, 3> channels{};
    if (value.is_number()) {
      channels.fill(value.get<float>());
    } else if (value.is_array() && (value.size() == 3 || value.size() == 1)) {
      for (size_t c = 0; c < 3; ++c) {
        const json& entry = value[value.size() == 3 ? c : 0];
        if (!entry.is_number()) Fail(key, "a number or a list of 3 numbers");
        channels[c] = entry.get<float>();
      }
    } else {
      Fail(key, "a number or a list of 3 numbers");
    }
    for (float channel : channels) {
      if (positive && !(channel > 0)) Fail(key, "positive");
    }
    return channels;
  }

 private:
  const json& config_;
  const std::string& source_;
};

ImageProcessorKind ReadKind(const json& config, const std::string& source) {
  for (const char* key : {"image_processor_type", "feature_extractor_type"}) {
    if (!config.contains(key) || !config[key].is_string()) continue;
    std::string name = config[key].get<std::string>();
    if (std::optional<ImageProcessorKind> kind = KindFromTypeName(name)) return *kind;
    throw PreprocessError(
        fmt::format("'{}': {} '{}' is not supported; supported are CLIPImageProcessor and "
                    "ChineseCLIPImageProcessor (and their FeatureExtractor names)",
                    source, key, name));
  }
  return ImageProcessorKind::kClip;
}

ResampleFilter ReadResample(const json& config, const std::string& source) {
  if (!config.contains("resample") || config["resample"].is_null()) {
    return ResampleFilter::kBicubic;
  }
  const json& value = config["resample"];
  if (value.is_number_integer()) {
    switch (value.get<int>()) {
      case 1:
        return ResampleFilter::kLanczos;
      case 2:
        return ResampleFilter::kBilinear;
      case 3:
        return ResampleFilter::kBicubic;
      case 4:
        return ResampleFilter::kBox;
      case 5:
        return ResampleFilter::kHamming;
      default:
        break;
    }
  }
  throw PreprocessError(fmt::format(
      "'{}': resample {} is not supported; use 1 (lanczos), 2 (bilinear), 3 (bicubic), 4 (box) "
      "or 5 (hamming)",
      source, value.dump()));
}

void ReadSize(const ConfigReader& reader, const json& config, ImageProcessorConfig& out) {
  if (!reader.Has("size")) return;
  const json& size = config["size"];
  const bool clip_int = out.kind == ImageProcessorKind::kClip && size.is_number();
  if (clip_int || (size.is_object() && size.contains("shortest_edge"))) {
    out.resize_mode = ResizeMode::kShortestEdge;
    out.shortest_edge = reader.PositiveInt(clip_int ? size : size["shortest_edge"], "size");
    return;
  }
  out.resize_mode = ResizeMode::kFixed;
  std::tie(out.resize_height, out.resize_width) = reader.HeightWidth("size");
}

}  // namespace

ImageProcessorConfig ParseImageProcessorConfig(const json& config, const std::string& source) {
  if (!config.is_object()) {
    throw PreprocessError(fmt::format("'{}' must contain a JSON object", source));
  }
  ConfigReader reader(config, source);
  ImageProcessorConfig out;
  out.kind = ReadKind(config, source);
  if (out.kind == ImageProcessorKind::kChineseClip) out.resize_mode = ResizeMode::kFixed;

  out.do_resize = reader.Bool("do_resize", true);
  ReadSize(reader, config, out);
  out.resample = ReadResample(config, source);
  out.do_center_crop = reader.Bool("do_center_crop", true);
  if (reader.Has("crop_size"))
    std::tie(out.crop_height, out.crop_width) = reader.HeightWidth("crop_size");
  out.do_rescale = reader.Bool("do_rescale", true);
  out.rescale_factor = reader.PositiveNumber("rescale_factor", 1.0 / 255.0);
  out.do_normalize = reader.Bool("do_normalize", true);
  out.image_mean = reader.Channels("image_mean", out.image_mean, /*positive=*/false);
  out.image_std = reader.Channels("image_std", out.image_std, /*positive=*/true);
  out.do_convert_rgb = reader.Bool("do_convert_rgb", true);
  return out;
}

ImageProcessorConfig LoadImageProcessorConfig(const std::filesystem::path& path) {
  std::ifstream stream(path);
  if (!stream) {
    throw PreprocessError(
        fmt::format("image preprocessor configuration '{}' is missing or unreadable; copy "
                    "preprocessor_config.json from the checkpoint",
                    path.string()));
  }
  std::stringstream text;
  text << stream.rdbuf();
  json config;
  try {
    config = json::parse(text.str());
  } catch (const json::parse_error& error) {
    throw PreprocessError(fmt::format("'{}' is not valid JSON: {}", path.string(), error.what()));
  }
  return ParseImageProcessorConfig(config, path.string());
}

}  // namespace msearch::preprocess
