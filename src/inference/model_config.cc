#include "inference/model_config.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/json_parse.h"
#include "inference/model_error.h"

namespace msearch::inference {
namespace {

using nlohmann::json;

// Reads keys of one JSON object, naming "<file> <section>.<key>" in errors.
class ConfigReader {
 public:
  ConfigReader(const json& object, std::string location)
      : object_(object), location_(std::move(location)) {}

  int Int(const char* key, int fallback, int minimum = 1) const {
    const json* value = Find(key);
    if (value == nullptr) return fallback;
    if (!value->is_number_integer() || value->get<int64_t>() < minimum ||
        value->get<int64_t>() > (1 << 24)) {
      throw ModelError(fmt::format("{}.{} is {}, expected an integer from {} to {}", location_, key,
                                   value->dump(), minimum, 1 << 24));
    }
    return value->get<int>();
  }

  float Float(const char* key, float fallback) const {
    const json* value = Find(key);
    if (value == nullptr) return fallback;
    if (!value->is_number()) {
      throw ModelError(
          fmt::format("{}.{} is {}, expected a number", location_, key, value->dump()));
    }
    return value->get<float>();
  }

  std::string String(const char* key, const std::string& fallback) const {
    const json* value = Find(key);
    if (value == nullptr) return fallback;
    if (!value->is_string()) {
      throw ModelError(
          fmt::format("{}.{} is {}, expected a string", location_, key, value->dump()));
    }
    return value->get<std::string>();
  }

  const std::string& location() const { return location_; }

 private:
  // A missing key and a null value both mean "use the default", as in transformers.
  const json* Find(const char* key) const {
    auto found = object_.find(key);
    if (found == object_.end() || found->is_null()) return nullptr;
    return &*found;
  }

  const json& object_;
  std::string location_;
};

void ReadEncoder(const ConfigReader& reader, EncoderConfig& config) {
  config.hidden_size = reader.Int("hidden_size", config.hidden_size);
  config.intermediate_size = reader.Int("intermediate_size", config.intermediate_size);
  config.num_hidden_layers = reader.Int("num_hidden_layers", config.num_hidden_layers);
  config.num_attention_heads = reader.Int("num_attention_heads", config.num_attention_heads);
  config.layer_norm_eps = reader.Float("layer_norm_eps", config.layer_norm_eps);
  std::string act = reader.String("hidden_act", std::string(ActivationName(config.hidden_act)));
  config.hidden_act = ParseActivation(act, reader.location() + ".hidden_act");
  if (config.hidden_size % config.num_attention_heads != 0) {
    throw ModelError(fmt::format("{}: hidden_size {} is not divisible by num_attention_heads {}",
                                 reader.location(), config.hidden_size,
                                 config.num_attention_heads));
  }
  if (!(config.layer_norm_eps > 0)) {
    throw ModelError(fmt::format("{}.layer_norm_eps is {}, expected a positive number",
                                 reader.location(), config.layer_norm_eps));
  }
}

// The sub-config object: `<name>` merged with the legacy `<name>_dict` that old
// checkpoints carry, the `_dict` values winning.
// NOTE: not checked against the transformers 4.27 source, which may use
// `<name>_dict` alone; the two differ only for keys missing from `_dict`.
json SubConfig(const json& document, const std::string& name, const std::string& source) {
  json merged = json::object();
  for (const std::string& key : {name, name + "_dict"}) {
    auto found = document.find(key);
    if (found == document.end() || found->is_null()) continue;
    if (!found->is_object()) {
      throw ModelError(fmt::format("{}: {} is not an object", source, key));
    }
    merged.update(*found);
  }
  return merged;
}

Architecture DetectArchitecture(const json& document, const std::string& source) {
  const std::string supported = "CLIPModel (model_type clip), ChineseCLIPModel (chinese_clip)";
  auto architectures = document.find("architectures");
  if (architectures != document.end() && architectures->is_array() && !architectures->empty()) {
    std::vector<std::string> names;
    for (const json& name : *architectures) {
      if (!name.is_string()) continue;
      if (name == "CLIPModel") return Architecture::kClip;
      if (name == "ChineseCLIPModel") return Architecture::kChineseClip;
      names.push_back(name.get<std::string>());
    }
    throw ModelError(fmt::format("{}: unsupported architecture {}; supported: {}", source,
                                 fmt::join(names, ", "), supported));
  }
  auto model_type = document.find("model_type");
  if (model_type != document.end() && model_type->is_string()) {
    if (*model_type == "clip") return Architecture::kClip;
    if (*model_type == "chinese_clip") return Architecture::kChineseClip;
    throw ModelError(fmt::format("{}: unsupported model_type '{}'; supported: {}", source,
                                 model_type->get<std::string>(), supported));
  }
  throw ModelError(
      fmt::format("{}: neither 'architectures' nor 'model_type' names the model; supported: {}",
                  source, supported));
}

}  // namespace

std::string_view ArchitectureName(Architecture architecture) {
  return architecture == Architecture::kClip ? "CLIPModel" : "ChineseCLIPModel";
}

std::string_view ModelTypeName(Architecture architecture) {
  return architecture == Architecture::kClip ? "clip" : "chinese_clip";
}

ModelConfig ParseModelConfig(const json& document, const std::string& source) {
  if (!document.is_object()) {
    throw ModelError(fmt::format("{}: expected a JSON object", source));
  }
  ModelConfig config;
  config.architecture = DetectArchitecture(document, source);
  ConfigReader top(document, source);
  config.projection_dim = top.Int("projection_dim", config.projection_dim);
  config.logit_scale_init_value =
      top.Float("logit_scale_init_value", config.logit_scale_init_value);

  json text = SubConfig(document, "text_config", source);
  ConfigReader text_reader(text, source + " text_config");
  if (config.architecture == Architecture::kClip) {
    ClipTextConfig& clip = config.clip_text;
    clip.hidden_size = 512;
    clip.intermediate_size = 2048;
    clip.num_attention_heads = 8;
    ReadEncoder(text_reader, clip);
    clip.vocab_size = text_reader.Int("vocab_size", clip.vocab_size);
    clip.max_position_embeddings =
        text_reader.Int("max_position_embeddings", clip.max_position_embeddings);
  } else {
    BertTextConfig& bert = config.bert_text;
    bert.hidden_act = Activation::kGelu;
    bert.layer_norm_eps = 1e-12f;
    ReadEncoder(text_reader, bert);
    bert.vocab_size = text_reader.Int("vocab_size", bert.vocab_size);
    bert.max_position_embeddings =
        text_reader.Int("max_position_embeddings", bert.max_position_embeddings);
    bert.type_vocab_size = text_reader.Int("type_vocab_size", bert.type_vocab_size);
    std::string position_type = text_reader.String("position_embedding_type", "absolute");
    if (position_type != "absolute") {
      throw ModelError(fmt::format(
          "{} text_config.position_embedding_type is '{}'; only 'absolute' is supported", source,
          position_type));
    }
  }

  json vision = SubConfig(document, "vision_config", source);
  ConfigReader vision_reader(vision, source + " vision_config");
  ReadEncoder(vision_reader, config.vision);
  config.vision.image_size = vision_reader.Int("image_size", config.vision.image_size);
  config.vision.patch_size = vision_reader.Int("patch_size", config.vision.patch_size);
  config.vision.num_channels = vision_reader.Int("num_channels", config.vision.num_channels);
  if (config.vision.patch_size > config.vision.image_size) {
    throw ModelError(fmt::format("{} vision_config: patch_size {} exceeds image_size {}", source,
                                 config.vision.patch_size, config.vision.image_size));
  }
  return config;
}

ModelConfig LoadModelConfig(const std::filesystem::path& model_dir) {
  const std::filesystem::path path = model_dir / "config.json";
  std::ifstream file(path);
  if (!file) {
    throw ModelError(fmt::format(
        "'{}' not found: a model folder needs config.json and model.safetensors in the Hugging "
        "Face layout",
        path.string()));
  }
  std::stringstream text;
  text << file.rdbuf();
  json document;
  try {
    document = ParseJsonLimited(text.str());
  } catch (const std::exception& error) {
    throw ModelError(fmt::format("'{}' is not valid JSON: {}", path.string(), error.what()));
  }
  return ParseModelConfig(document, "'" + path.string() + "'");
}

}  // namespace msearch::inference
