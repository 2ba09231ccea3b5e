#include "inference/checkpoint_layout.h"

#include <string>

#include <fmt/format.h>

#include "inference/clap_checkpoint_layout.h"
#include "inference/model_error.h"

namespace msearch::inference {
namespace {

void AddLinear(std::vector<TensorSpec>& specs, const std::string& prefix, int out, int in,
               bool bias = true) {
  specs.push_back({prefix + ".weight", {out, in}, TensorRole::kWeight});
  if (bias) specs.push_back({prefix + ".bias", {out}, TensorRole::kBias});
}

void AddNorm(std::vector<TensorSpec>& specs, const std::string& prefix, int width) {
  specs.push_back({prefix + ".weight", {width}, TensorRole::kNormWeight});
  specs.push_back({prefix + ".bias", {width}, TensorRole::kNormBias});
}

void AddClipEncoder(std::vector<TensorSpec>& specs, const std::string& prefix,
                    const EncoderConfig& config) {
  const int width = config.hidden_size;
  for (int i = 0; i < config.num_hidden_layers; ++i) {
    const std::string layer = prefix + ".encoder.layers." + std::to_string(i);
    for (const char* projection : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
      AddLinear(specs, layer + ".self_attn." + projection, width, width);
    }
    AddNorm(specs, layer + ".layer_norm1", width);
    AddLinear(specs, layer + ".mlp.fc1", config.intermediate_size, width);
    AddLinear(specs, layer + ".mlp.fc2", width, config.intermediate_size);
    AddNorm(specs, layer + ".layer_norm2", width);
  }
}

void AddBertEncoder(std::vector<TensorSpec>& specs, const std::string& prefix,
                    const EncoderConfig& config) {
  const int width = config.hidden_size;
  for (int i = 0; i < config.num_hidden_layers; ++i) {
    const std::string layer = prefix + ".encoder.layer." + std::to_string(i);
    for (const char* projection : {"query", "key", "value"}) {
      AddLinear(specs, layer + ".attention.self." + projection, width, width);
    }
    AddLinear(specs, layer + ".attention.output.dense", width, width);
    AddNorm(specs, layer + ".attention.output.LayerNorm", width);
    AddLinear(specs, layer + ".intermediate.dense", config.intermediate_size, width);
    AddLinear(specs, layer + ".output.dense", width, config.intermediate_size);
    AddNorm(specs, layer + ".output.LayerNorm", width);
  }
}

// The shortest decimal that reads back as `value`, so 1e-5f prints as 1e-05
// and not as its double expansion 9.999999747378752e-06.
double ShortestDecimal(float value) { return std::stod(fmt::format("{}", value)); }

nlohmann::json EncoderJson(const EncoderConfig& config, int projection_dim) {
  return {{"hidden_size", config.hidden_size},
          {"intermediate_size", config.intermediate_size},
          {"num_hidden_layers", config.num_hidden_layers},
          {"num_attention_heads", config.num_attention_heads},
          {"hidden_act", ActivationName(config.hidden_act)},
          {"layer_norm_eps", ShortestDecimal(config.layer_norm_eps)},
          {"projection_dim", projection_dim}};
}

}  // namespace

std::vector<TensorSpec> CheckpointLayout(const ModelConfig& config) {
  std::vector<TensorSpec> specs;
  if (config.architecture == Architecture::kClap) {
    const RobertaTextConfig& text = config.roberta_text;
    specs.push_back({"logit_scale_a", {}, TensorRole::kLogitScale});
    specs.push_back({"logit_scale_t", {}, TensorRole::kLogitScale});
    specs.push_back({"text_model.embeddings.word_embeddings.weight",
                     {text.vocab_size, text.hidden_size},
                     TensorRole::kEmbedding});
    specs.push_back({"text_model.embeddings.position_embeddings.weight",
                     {text.max_position_embeddings, text.hidden_size},
                     TensorRole::kEmbedding});
    specs.push_back({"text_model.embeddings.token_type_embeddings.weight",
                     {text.type_vocab_size, text.hidden_size},
                     TensorRole::kEmbedding});
    specs.push_back({"text_model.embeddings.position_ids",
                     {1, text.max_position_embeddings},
                     TensorRole::kPositionIds});
    AddNorm(specs, "text_model.embeddings.LayerNorm", text.hidden_size);
    AddBertEncoder(specs, "text_model", text);
    AddLinear(specs, "text_model.pooler.dense", text.hidden_size, text.hidden_size);
    AddLinear(specs, "text_projection.linear1", config.projection_dim, text.hidden_size);
    AddLinear(specs, "text_projection.linear2", config.projection_dim, config.projection_dim);
    AddClapAudioLayout(specs, config);
    return specs;
  }
  specs.push_back({"logit_scale", {}, TensorRole::kLogitScale});

  if (config.architecture == Architecture::kClip) {
    const ClipTextConfig& text = config.clip_text;
    specs.push_back({"text_model.embeddings.token_embedding.weight",
                     {text.vocab_size, text.hidden_size},
                     TensorRole::kEmbedding});
    specs.push_back({"text_model.embeddings.position_embedding.weight",
                     {text.max_position_embeddings, text.hidden_size},
                     TensorRole::kEmbedding});
    specs.push_back({"text_model.embeddings.position_ids",
                     {1, text.max_position_embeddings},
                     TensorRole::kPositionIds});
    AddClipEncoder(specs, "text_model", text);
    AddNorm(specs, "text_model.final_layer_norm", text.hidden_size);
    AddLinear(specs, "text_projection", config.projection_dim, text.hidden_size, false);
  } else {
    const BertTextConfig& text = config.bert_text;
    specs.push_back({"text_model.embeddings.word_embeddings.weight",
                     {text.vocab_size, text.hidden_size},
                     TensorRole::kEmbedding});
    specs.push_back({"text_model.embeddings.position_embeddings.weight",
                     {text.max_position_embeddings, text.hidden_size},
                     TensorRole::kEmbedding});
    specs.push_back({"text_model.embeddings.token_type_embeddings.weight",
                     {text.type_vocab_size, text.hidden_size},
                     TensorRole::kEmbedding});
    specs.push_back({"text_model.embeddings.position_ids",
                     {1, text.max_position_embeddings},
                     TensorRole::kPositionIds});
    AddNorm(specs, "text_model.embeddings.LayerNorm", text.hidden_size);
    AddBertEncoder(specs, "text_model", text);
    AddLinear(specs, "text_projection", config.projection_dim, text.hidden_size, false);
  }

  const VisionConfig& vision = config.vision;
  specs.push_back(
      {"vision_model.embeddings.class_embedding", {vision.hidden_size}, TensorRole::kEmbedding});
  specs.push_back({"vision_model.embeddings.patch_embedding.weight",
                   {vision.hidden_size, vision.num_channels, vision.patch_size, vision.patch_size},
                   TensorRole::kWeight});
  specs.push_back({"vision_model.embeddings.position_embedding.weight",
                   {vision.num_positions(), vision.hidden_size},
                   TensorRole::kEmbedding});
  specs.push_back({"vision_model.embeddings.position_ids",
                   {1, vision.num_positions()},
                   TensorRole::kPositionIds});
  AddNorm(specs, "vision_model.pre_layrnorm", vision.hidden_size);
  AddClipEncoder(specs, "vision_model", vision);
  AddNorm(specs, "vision_model.post_layernorm", vision.hidden_size);
  AddLinear(specs, "visual_projection", config.projection_dim, vision.hidden_size, false);
  return specs;
}

nlohmann::json ConfigToJson(const ModelConfig& config) {
  if (config.architecture == Architecture::kClap) {
    const RobertaTextConfig& t = config.roberta_text;
    nlohmann::json text = EncoderJson(t, config.projection_dim);
    text["vocab_size"] = t.vocab_size;
    text["max_position_embeddings"] = t.max_position_embeddings;
    text["type_vocab_size"] = t.type_vocab_size;
    text["position_embedding_type"] = "absolute";
    text["pad_token_id"] = t.pad_token_id;
    text["bos_token_id"] = 0;
    text["eos_token_id"] = 2;
    text["projection_hidden_act"] = ActivationName(config.projection_hidden_act);
    text["model_type"] = "clap_text_model";
    return {{"architectures", {ArchitectureName(config.architecture)}},
            {"model_type", ModelTypeName(config.architecture)},
            {"projection_dim", config.projection_dim},
            {"projection_hidden_act", ActivationName(config.projection_hidden_act)},
            {"logit_scale_init_value", ShortestDecimal(config.logit_scale_init_value)},
            {"initializer_factor", 1.0},
            {"torch_dtype", "float32"},
            {"text_config", text},
            {"audio_config", ClapAudioConfigJson(config)}};
  }
  const bool clip = config.architecture == Architecture::kClip;
  nlohmann::json text;
  if (clip) {
    const ClipTextConfig& t = config.clip_text;
    text = EncoderJson(t, config.projection_dim);
    text["vocab_size"] = t.vocab_size;
    text["max_position_embeddings"] = t.max_position_embeddings;
    // The OpenAI checkpoints' values; the model does not use them.
    text["bos_token_id"] = 0;
    text["eos_token_id"] = 2;
    text["pad_token_id"] = 1;
    text["model_type"] = "clip_text_model";
  } else {
    const BertTextConfig& t = config.bert_text;
    text = EncoderJson(t, config.projection_dim);
    text.erase("projection_dim");
    text["vocab_size"] = t.vocab_size;
    text["max_position_embeddings"] = t.max_position_embeddings;
    text["type_vocab_size"] = t.type_vocab_size;
    text["position_embedding_type"] = "absolute";
    text["pad_token_id"] = 0;
    text["model_type"] = "chinese_clip_text_model";
  }
  nlohmann::json vision = EncoderJson(config.vision, config.projection_dim);
  vision["image_size"] = config.vision.image_size;
  vision["patch_size"] = config.vision.patch_size;
  vision["num_channels"] = config.vision.num_channels;
  vision["model_type"] = clip ? "clip_vision_model" : "chinese_clip_vision_model";

  return {{"architectures", {ArchitectureName(config.architecture)}},
          {"model_type", ModelTypeName(config.architecture)},
          {"projection_dim", config.projection_dim},
          {"logit_scale_init_value", ShortestDecimal(config.logit_scale_init_value)},
          {"initializer_factor", 1.0},
          {"torch_dtype", "float32"},
          {"text_config", text},
          {"vision_config", vision}};
}

std::vector<std::string> PresetNames() {
  return {"clip-vit-b32", "clip-vit-b16", "chinese-clip-vit-b16", "clap-htsat-unfused",
          "clap-htsat-fused"};
}

ModelConfig PresetConfig(std::string_view name) {
  // Every size below is the default of the transformers 4.27 config classes,
  // which were chosen to match these released checkpoints.
  ModelConfig config;
  config.projection_dim = 512;
  config.vision = VisionConfig{};
  if (name == "clip-vit-b32" || name == "clip-vit-b16") {
    config.architecture = Architecture::kClip;
    config.clip_text.hidden_size = 512;
    config.clip_text.intermediate_size = 2048;
    config.clip_text.num_attention_heads = 8;
    config.vision.patch_size = name == "clip-vit-b32" ? 32 : 16;
    return config;
  }
  if (name == "chinese-clip-vit-b16") {
    config.architecture = Architecture::kChineseClip;
    config.bert_text.vocab_size = 21128;  // the BERT-Chinese WordPiece vocabulary
    config.bert_text.hidden_act = Activation::kGelu;
    config.bert_text.layer_norm_eps = 1e-12f;
    config.vision.patch_size = 16;
    return config;
  }
  if (name == "clap-htsat-unfused" || name == "clap-htsat-fused") {
    // RoBERTa-base text tower and the HTSAT-tiny audio tower: the defaults
    // of RobertaTextConfig and HtsatAudioConfig.
    config.architecture = Architecture::kClap;
    config.logit_scale_init_value = 1.0f / 0.07f;
    config.audio.enable_fusion = name == "clap-htsat-fused";
    return config;
  }
  throw ModelError(fmt::format("unknown checkpoint preset '{}'; presets: {}", name,
                               fmt::join(PresetNames(), ", ")));
}

}  // namespace msearch::inference
