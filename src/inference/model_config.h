#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inference/activation.h"

namespace msearch::inference {

// Sizes shared by every transformer encoder. Defaults are those of the CLIP
// vision tower in transformers 4.27 (ViT-B).
struct EncoderConfig {
  int hidden_size = 768;
  int intermediate_size = 3072;
  int num_hidden_layers = 12;
  int num_attention_heads = 12;
  Activation hidden_act = Activation::kQuickGelu;
  float layer_norm_eps = 1e-5f;

  int head_dim() const { return hidden_size / num_attention_heads; }
};

// CLIPTextConfig: the causal text transformer of CLIP.
struct ClipTextConfig : EncoderConfig {
  int vocab_size = 49408;
  int max_position_embeddings = 77;
};

// CLIPVisionConfig / ChineseCLIPVisionConfig: a ViT with a class token.
struct VisionConfig : EncoderConfig {
  int image_size = 224;
  int patch_size = 32;
  int num_channels = 3;

  int patches_per_side() const { return image_size / patch_size; }
  int num_patches() const { return patches_per_side() * patches_per_side(); }
  int num_positions() const { return num_patches() + 1; }
};

// ChineseCLIPTextConfig: a BERT encoder.
struct BertTextConfig : EncoderConfig {
  int vocab_size = 30522;
  int max_position_embeddings = 512;
  int type_vocab_size = 2;
};

// ClapTextConfig: a RoBERTa encoder with a tanh pooler. Defaults are those of
// transformers 4.27 (roberta-base sizes).
struct RobertaTextConfig : BertTextConfig {
  RobertaTextConfig() {
    vocab_size = 50265;
    max_position_embeddings = 514;
    type_vocab_size = 1;
    hidden_act = Activation::kGelu;
    layer_norm_eps = 1e-12f;
  }
  // Token id of <pad>; RoBERTa position ids count from pad_token_id + 1.
  int pad_token_id = 1;
};

// ClapAudioConfig: the HTSAT Swin transformer over a log-mel image. Defaults
// are those of transformers 4.27 (laion/clap-htsat-unfused sizes).
struct HtsatAudioConfig {
  int num_mel_bins = 64;
  int spec_size = 256;  // side of the square mel image the patches are cut from
  int patch_size = 4;
  int patch_stride = 4;  // both axes; configs give [4, 4]
  int patch_embeds_hidden_size = 96;
  int patch_embed_input_channels = 1;
  std::vector<int> depths = {2, 2, 6, 2};
  std::vector<int> num_attention_heads = {4, 8, 16, 32};
  int window_size = 8;
  float mlp_ratio = 4.0f;
  bool qkv_bias = true;
  bool enable_fusion = false;
  bool enable_patch_layer_norm = true;
  int aff_block_r = 4;
  int hidden_size = 768;  // width after the last stage; the audio projection's input
  Activation hidden_act = Activation::kGelu;
  float layer_norm_eps = 1e-5f;  // Swin blocks only; the other LayerNorms use 1e-5

  // Width of stage `stage`: patch_embeds_hidden_size * 2^stage.
  int StageWidth(int stage) const { return patch_embeds_hidden_size << stage; }
  int num_stages() const { return static_cast<int>(depths.size()); }
};

enum class Architecture {
  kClip,         // CLIPModel, model_type "clip"
  kChineseClip,  // ChineseCLIPModel, model_type "chinese_clip"
  kClap,         // ClapModel, model_type "clap"
};

// The parts of a model's config.json the engine uses. Only the text config
// that matches `architecture` is meaningful.
struct ModelConfig {
  Architecture architecture = Architecture::kClip;
  int projection_dim = 512;
  float logit_scale_init_value = 2.6592f;
  ClipTextConfig clip_text;
  BertTextConfig bert_text;
  VisionConfig vision;
  // kClap only: the text and audio towers and the projection activation.
  RobertaTextConfig roberta_text;
  HtsatAudioConfig audio;
  Activation projection_hidden_act = Activation::kRelu;
};

// "CLIPModel", "ChineseCLIPModel" or "ClapModel".
std::string_view ArchitectureName(Architecture architecture);

// "clip", "chinese_clip" or "clap".
std::string_view ModelTypeName(Architecture architecture);

// Parses a config.json document. The architecture comes from `architectures`
// (or `model_type` when that list is absent); missing keys take the defaults
// transformers 4.27 applies. `source` names the file in messages. Throws
// ModelError for an unsupported architecture (the message lists the supported
// ones), a key with the wrong type, or sizes that cannot form a model (for
// example a hidden size not divisible by the number of heads).
ModelConfig ParseModelConfig(const nlohmann::json& document, const std::string& source);

// Reads and parses `model_dir`/config.json. Throws ModelError when the file is
// missing, is not JSON, or ParseModelConfig rejects it.
ModelConfig LoadModelConfig(const std::filesystem::path& model_dir);

}  // namespace msearch::inference
