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

  bool Bool(const char* key, bool fallback) const {
    const json* value = Find(key);
    if (value == nullptr) return fallback;
    if (!value->is_boolean()) {
      throw ModelError(
          fmt::format("{}.{} is {}, expected true or false", location_, key, value->dump()));
    }
    return value->get<bool>();
  }

  // A list of positive integers, or one integer standing for `scalar_count`
  // copies of itself (configs write patch_stride as 4 or [4, 4]).
  std::vector<int> IntList(const char* key, const std::vector<int>& fallback,
                           size_t scalar_count = 0) const {
    const json* value = Find(key);
    if (value == nullptr) return fallback;
    if (value->is_number_integer() && scalar_count > 0) {
      return std::vector<int>(scalar_count, Int(key, 1));
    }
    if (!value->is_array() || value->empty()) {
      throw ModelError(fmt::format("{}.{} is {}, expected a non-empty list of integers", location_,
                                   key, value->dump()));
    }
    std::vector<int> values;
    for (const json& item : *value) {
      if (!item.is_number_integer() || item.get<int64_t>() < 1 || item.get<int64_t>() > (1 << 24)) {
        throw ModelError(
            fmt::format("{}.{} is {}, expected positive integers", location_, key, value->dump()));
      }
      values.push_back(item.get<int>());
    }
    return values;
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
  const std::string supported =
      "CLIPModel (model_type clip), ChineseCLIPModel (chinese_clip), ClapModel (clap)";
  auto architectures = document.find("architectures");
  if (architectures != document.end() && architectures->is_array() && !architectures->empty()) {
    std::vector<std::string> names;
    for (const json& name : *architectures) {
      if (!name.is_string()) continue;
      if (name == "CLIPModel") return Architecture::kClip;
      if (name == "ChineseCLIPModel") return Architecture::kChineseClip;
      if (name == "ClapModel") return Architecture::kClap;
      names.push_back(name.get<std::string>());
    }
    throw ModelError(fmt::format("{}: unsupported architecture {}; supported: {}", source,
                                 fmt::join(names, ", "), supported));
  }
  auto model_type = document.find("model_type");
  if (model_type != document.end() && model_type->is_string()) {
    if (*model_type == "clip") return Architecture::kClip;
    if (*model_type == "chinese_clip") return Architecture::kChineseClip;
    if (*model_type == "clap") return Architecture::kClap;
    throw ModelError(fmt::format("{}: unsupported model_type '{}'; supported: {}", source,
                                 model_type->get<std::string>(), supported));
  }
  throw ModelError(
      fmt::format("{}: neither 'architectures' nor 'model_type' names the model; supported: {}",
                  source, supported));
}

void CheckAbsolutePositions(const ConfigReader& reader) {
  std::string position_type = reader.String("position_embedding_type", "absolute");
  if (position_type != "absolute") {
    throw ModelError(fmt::format("{}.position_embedding_type is '{}'; only 'absolute' is supported",
                                 reader.location(), position_type));
  }
}

void ReadHtsatAudio(const ConfigReader& reader, HtsatAudioConfig& audio) {
  audio.num_mel_bins = reader.Int("num_mel_bins", audio.num_mel_bins);
  audio.spec_size = reader.Int("spec_size", audio.spec_size);
  audio.patch_size = reader.Int("patch_size", audio.patch_size);
  const std::vector<int> stride = reader.IntList("patch_stride", {4, 4}, 2);
  audio.patch_embeds_hidden_size =
      reader.Int("patch_embeds_hidden_size", audio.patch_embeds_hidden_size);
  audio.patch_embed_input_channels =
      reader.Int("patch_embed_input_channels", audio.patch_embed_input_channels);
  audio.depths = reader.IntList("depths", audio.depths);
  audio.num_attention_heads = reader.IntList("num_attention_heads", audio.num_attention_heads);
  audio.window_size = reader.Int("window_size", audio.window_size);
  audio.mlp_ratio = reader.Float("mlp_ratio", audio.mlp_ratio);
  audio.qkv_bias = reader.Bool("qkv_bias", audio.qkv_bias);
  audio.enable_fusion = reader.Bool("enable_fusion", audio.enable_fusion);
  audio.enable_patch_layer_norm =
      reader.Bool("enable_patch_layer_norm", audio.enable_patch_layer_norm);
  audio.aff_block_r = reader.Int("aff_block_r", audio.aff_block_r);
  audio.hidden_size = reader.Int("hidden_size", audio.hidden_size);
  audio.layer_norm_eps = reader.Float("layer_norm_eps", audio.layer_norm_eps);
  audio.hidden_act =
      ParseActivation(reader.String("hidden_act", std::string(ActivationName(audio.hidden_act))),
                      reader.location() + ".hidden_act");

  const std::string& where = reader.location();
  if (stride.size() != 2 || stride[0] != stride[1] || stride[0] != audio.patch_size) {
    throw ModelError(fmt::format(
        "{}: patch_stride {} with patch_size {} is not supported; HTSAT checkpoints use "
        "non-overlapping square patches (stride equal to patch_size)",
        where, fmt::join(stride, ","), audio.patch_size));
  }
  audio.patch_stride = stride[0];

  if (audio.depths.size() != audio.num_attention_heads.size()) {
    throw ModelError(fmt::format("{}: depths has {} stages but num_attention_heads has {}", where,
                                 audio.depths.size(), audio.num_attention_heads.size()));
  }
  for (int stage = 0; stage < audio.num_stages(); ++stage) {
    if (audio.StageWidth(stage) % audio.num_attention_heads[stage] != 0) {
      throw ModelError(fmt::format("{}: stage {} width {} is not divisible by its {} heads", where,
                                   stage, audio.StageWidth(stage),
                                   audio.num_attention_heads[stage]));
    }
  }
  if (audio.StageWidth(audio.num_stages() - 1) != audio.hidden_size) {
    throw ModelError(fmt::format(
        "{}: hidden_size {} differs from the last stage width {} (patch_embeds_hidden_size * "
        "2^(stages - 1))",
        where, audio.hidden_size, audio.StageWidth(audio.num_stages() - 1)));
  }
  if (audio.spec_size % audio.num_mel_bins != 0 || audio.spec_size < audio.num_mel_bins) {
    throw ModelError(fmt::format("{}: spec_size {} is not a multiple of num_mel_bins {}", where,
                                 audio.spec_size, audio.num_mel_bins));
  }
  if (!(audio.layer_norm_eps > 0) || !(audio.mlp_ratio > 0)) {
    throw ModelError(fmt::format("{}: layer_norm_eps and mlp_ratio must be positive", where));
  }

  std::string fusion_type = reader.String("fusion_type", "aff_2d");
  if (audio.enable_fusion && fusion_type != "aff_2d") {
    throw ModelError(fmt::format(
        "{}.fusion_type is '{}'; only the 2-D attentional feature fusion ('aff_2d' or null) is "
        "supported",
        where, fusion_type));
  }
}

ModelConfig ParseClapConfig(const json& document, const std::string& source) {
  ModelConfig config;
  config.architecture = Architecture::kClap;
  ConfigReader top(document, source);
  config.projection_dim = top.Int("projection_dim", config.projection_dim);
  // ClapConfig stores the logit scale factor itself (1 / 0.07), not its log.
  config.logit_scale_init_value = top.Float("logit_scale_init_value", 1.0f / 0.07f);
  config.projection_hidden_act = ParseActivation(top.String("projection_hidden_act", "relu"),
                                                 source + " projection_hidden_act");

  json text = SubConfig(document, "text_config", source);
  ConfigReader text_reader(text, source + " text_config");
  RobertaTextConfig& roberta = config.roberta_text;
  ReadEncoder(text_reader, roberta);
  roberta.vocab_size = text_reader.Int("vocab_size", roberta.vocab_size);
  roberta.max_position_embeddings =
      text_reader.Int("max_position_embeddings", roberta.max_position_embeddings);
  roberta.type_vocab_size = text_reader.Int("type_vocab_size", roberta.type_vocab_size);
  roberta.pad_token_id = text_reader.Int("pad_token_id", roberta.pad_token_id, 0);
  CheckAbsolutePositions(text_reader);
  if (roberta.max_position_embeddings <= roberta.pad_token_id + 1) {
    throw ModelError(fmt::format(
        "{} text_config: max_position_embeddings {} leaves no position after pad_token_id {}",
        source, roberta.max_position_embeddings, roberta.pad_token_id));
  }

  json audio = SubConfig(document, "audio_config", source);
  ReadHtsatAudio(ConfigReader(audio, source + " audio_config"), config.audio);
  return config;
}

}  // namespace

std::string_view ArchitectureName(Architecture architecture) {
  switch (architecture) {
    case Architecture::kClip:
      return "CLIPModel";
    case Architecture::kChineseClip:
      return "ChineseCLIPModel";
    case Architecture::kClap:
      return "ClapModel";
  }
  return "unknown";
}

std::string_view ModelTypeName(Architecture architecture) {
  switch (architecture) {
    case Architecture::kClip:
      return "clip";
    case Architecture::kChineseClip:
      return "chinese_clip";
    case Architecture::kClap:
      return "clap";
  }
  return "unknown";
}

ModelConfig ParseModelConfig(const json& document, const std::string& source) {
  if (!document.is_object()) {
    throw ModelError(fmt::format("{}: expected a JSON object", source));
  }
  ModelConfig config;
  config.architecture = DetectArchitecture(document, source);
  if (config.architecture == Architecture::kClap) return ParseClapConfig(document, source);
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
