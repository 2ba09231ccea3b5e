#include "tokenizer/tokenizer_factory.h"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "tokenizer/bert_tokenizer.h"
#include "tokenizer/clip_tokenizer.h"
#include "tokenizer/roberta_tokenizer.h"
#include "tokenizer/tokenizer_error.h"
#include "tokenizer/tokenizer_files.h"

namespace msearch::tokenizer {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// The special-token attributes of transformers, in the order it collects
// them. When one string is configured under several attributes, its last
// AddedToken form sets the strip flags.
constexpr std::array<const char*, 7> kTokenAttributes = {
    "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"};

// One special-token entry: a plain string, or an AddedToken object that
// carries strip flags.
struct TokenSpec {
  std::string content;
  bool added_token = false;
  bool lstrip = false;
  bool rstrip = false;
};

struct CheckpointFiles {
  fs::path dir;
  json config = json::object();       // tokenizer_config.json
  json special_map = json::object();  // special_tokens_map.json
  fs::path config_path;
  fs::path special_map_path;
};

json ReadOptionalJsonObject(const fs::path& path) {
  std::error_code error;
  if (!fs::exists(path, error)) return json::object();
  json value = ReadTokenizerJson(path);
  if (!value.is_object()) {
    throw TokenizerError(fmt::format("'{}' must contain a JSON object", path.string()));
  }
  return value;
}

std::optional<TokenSpec> ParseTokenSpec(const json& value, const fs::path& file,
                                        std::string_view key) {
  if (value.is_null()) return std::nullopt;
  if (value.is_string()) return TokenSpec{value.get<std::string>()};
  if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    TokenSpec spec{value["content"].get<std::string>(), true};
    spec.lstrip = value.value("lstrip", false);
    spec.rstrip = value.value("rstrip", false);
    return spec;
  }
  throw TokenizerError(
      fmt::format("'{}': '{}' must be a string or an object with a string \"content\", got {}",
                  file.string(), key, value.dump()));
}

// Returns the value of `key` from special_tokens_map.json, else from
// tokenizer_config.json, else nullopt. The bool is true when either file
// has the key, even with a null value.
std::pair<bool, std::optional<TokenSpec>> ConfiguredToken(const CheckpointFiles& files,
                                                          const char* key) {
  if (files.special_map.contains(key)) {
    return {true, ParseTokenSpec(files.special_map[key], files.special_map_path, key)};
  }
  if (files.config.contains(key)) {
    return {true, ParseTokenSpec(files.config[key], files.config_path, key)};
  }
  return {false, std::nullopt};
}

bool ConfigBool(const CheckpointFiles& files, const char* key, bool fallback) {
  if (!files.config.contains(key) || files.config[key].is_null()) return fallback;
  if (!files.config[key].is_boolean()) {
    throw TokenizerError(fmt::format("'{}': '{}' must be true or false, got {}",
                                     files.config_path.string(), key, files.config[key].dump()));
  }
  return files.config[key].get<bool>();
}

int ModelMaxLength(const CheckpointFiles& files, int fallback) {
  if (!files.config.contains("model_max_length")) return fallback;
  const json& value = files.config["model_max_length"];
  if (!value.is_number() || value.get<double>() < 1) {
    throw TokenizerError(fmt::format("'{}': model_max_length must be a positive number, got {}",
                                     files.config_path.string(), value.dump()));
  }
  // Unlimited tokenizers store 1e30 here.
  return static_cast<int>(std::min<double>(value.get<double>(), std::numeric_limits<int>::max()));
}

// Per-class defaults and conversions of transformers 4.27: CLIPTokenizer
// turns plain bos/eos/unk strings into AddedTokens without strip flags,
// RobertaTokenizer does so for all of them and gives <mask> lstrip, and
// BertTokenizer keeps plain strings, which strip whitespace on both sides.
struct ClassDefaults {
  std::map<std::string, std::string> tokens;
  std::vector<std::string> added_token_attributes;
  std::string lstrip_attribute;  // attribute converted with lstrip=True
};

ClassDefaults DefaultsFor(TokenizerKind kind) {
  switch (kind) {
    case TokenizerKind::kClip:
      return {{{"bos_token", "<|startoftext|>"},
               {"eos_token", "<|endoftext|>"},
               {"unk_token", "<|endoftext|>"},
               {"pad_token", "<|endoftext|>"}},
              {"bos_token", "eos_token", "unk_token"},
              ""};
    case TokenizerKind::kBert:
      return {{{"unk_token", "[UNK]"},
               {"sep_token", "[SEP]"},
               {"pad_token", "[PAD]"},
               {"cls_token", "[CLS]"},
               {"mask_token", "[MASK]"}},
              {},
              ""};
    case TokenizerKind::kRoberta:
      return {{{"bos_token", "<s>"},
               {"eos_token", "</s>"},
               {"sep_token", "</s>"},
               {"cls_token", "<s>"},
               {"unk_token", "<unk>"},
               {"pad_token", "<pad>"},
               {"mask_token", "<mask>"}},
              {"bos_token", "eos_token", "sep_token", "cls_token", "unk_token", "pad_token"},
              "mask_token"};
  }
  return {};
}

// Resolves every special-token attribute to its spec (absent ones are
// missing from the map).
std::map<std::string, TokenSpec> ResolveTokenSpecs(const CheckpointFiles& files,
                                                   TokenizerKind kind) {
  ClassDefaults defaults = DefaultsFor(kind);
  std::map<std::string, TokenSpec> specs;
  for (const char* key : kTokenAttributes) {
    auto [present, spec] = ConfiguredToken(files, key);
    if (!present && defaults.tokens.contains(key)) spec = TokenSpec{defaults.tokens[key]};
    if (!spec) continue;
    if (!spec->added_token) {
      if (key == defaults.lstrip_attribute) {
        spec->added_token = true;
        spec->lstrip = true;
      } else if (std::find(defaults.added_token_attributes.begin(),
                           defaults.added_token_attributes.end(),
                           key) != defaults.added_token_attributes.end()) {
        spec->added_token = true;
      }
    }
    specs[key] = *spec;
  }
  return specs;
}

std::vector<TokenSpec> AdditionalTokens(const CheckpointFiles& files) {
  const json* list = nullptr;
  const fs::path* file = nullptr;
  if (files.special_map.contains("additional_special_tokens")) {
    list = &files.special_map["additional_special_tokens"];
    file = &files.special_map_path;
  } else if (files.config.contains("additional_special_tokens")) {
    list = &files.config["additional_special_tokens"];
    file = &files.config_path;
  }
  std::vector<TokenSpec> tokens;
  if (list == nullptr || list->is_null()) return tokens;
  if (!list->is_array()) {
    throw TokenizerError(fmt::format("'{}': additional_special_tokens must be a list, got {}",
                                     file->string(), list->dump()));
  }
  for (const json& entry : *list) {
    if (auto spec = ParseTokenSpec(entry, *file, "additional_special_tokens")) {
      tokens.push_back(*spec);
    }
  }
  return tokens;
}

// Builds the special-token list: one entry per distinct string, with the
// strip flags of its last AddedToken form, or stripping on both sides when
// it only occurs as a plain string.
std::vector<SpecialToken> BuildSpecialTokens(const std::vector<TokenSpec>& specs) {
  std::vector<SpecialToken> tokens;
  for (const TokenSpec& spec : specs) {
    auto it = std::find_if(tokens.begin(), tokens.end(), [&](const SpecialToken& token) {
      return token.content == spec.content;
    });
    size_t index = static_cast<size_t>(it - tokens.begin());
    if (it == tokens.end()) {
      tokens.push_back({spec.content, 0, true, true});
    }
    if (spec.added_token) {
      tokens[index].lstrip = spec.lstrip;
      tokens[index].rstrip = spec.rstrip;
    }
  }
  return tokens;
}

const TokenSpec& RequiredToken(const std::map<std::string, TokenSpec>& specs, const char* key,
                               const CheckpointFiles& files) {
  auto it = specs.find(key);
  if (it == specs.end()) {
    throw TokenizerError(
        fmt::format("tokenizer in '{}' has no {}: set it in "
                    "special_tokens_map.json or tokenizer_config.json",
                    files.dir.string(), key));
  }
  return it->second;
}

TokenizerSettings BuildSettings(const CheckpointFiles& files, TokenizerKind kind) {
  std::map<std::string, TokenSpec> specs = ResolveTokenSpecs(files, kind);
  const char* start_key = kind == TokenizerKind::kClip ? "bos_token" : "cls_token";
  const char* end_key = kind == TokenizerKind::kClip ? "eos_token" : "sep_token";

  TokenizerSettings settings;
  settings.start_token = RequiredToken(specs, start_key, files).content;
  settings.end_token = RequiredToken(specs, end_key, files).content;
  settings.pad_token = RequiredToken(specs, "pad_token", files).content;
  settings.model_max_length = ModelMaxLength(files, kind == TokenizerKind::kClip ? 77 : 512);

  std::vector<TokenSpec> ordered;
  for (const char* key : kTokenAttributes) {
    if (auto it = specs.find(key); it != specs.end()) ordered.push_back(it->second);
  }
  for (const TokenSpec& spec : AdditionalTokens(files)) ordered.push_back(spec);
  settings.special_tokens = BuildSpecialTokens(ordered);
  return settings;
}

std::optional<TokenizerKind> KindFromClassName(std::string_view name) {
  if (name == "CLIPTokenizer" || name == "CLIPTokenizerFast") return TokenizerKind::kClip;
  if (name == "BertTokenizer" || name == "BertTokenizerFast") return TokenizerKind::kBert;
  if (name == "RobertaTokenizer" || name == "RobertaTokenizerFast") return TokenizerKind::kRoberta;
  return std::nullopt;
}

bool FileExists(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);
}

TokenizerKind DetectKind(const CheckpointFiles& files) {
  if (files.config.contains("tokenizer_class")) {
    const json& value = files.config["tokenizer_class"];
    std::string name = value.is_string() ? value.get<std::string>() : value.dump();
    if (std::optional<TokenizerKind> kind = KindFromClassName(name)) return *kind;
    throw TokenizerError(fmt::format(
        "'{}': tokenizer_class '{}' is not supported; supported classes are CLIPTokenizer, "
        "BertTokenizer and RobertaTokenizer (and their Fast variants)",
        files.config_path.string(), name));
  }
  if (FileExists(files.dir / "vocab.txt")) return TokenizerKind::kBert;
  if (FileExists(files.dir / "vocab.json") && FileExists(files.dir / "merges.txt")) {
    std::string vocab = ReadTokenizerFile(files.dir / "vocab.json");
    return vocab.find("\"<|startoftext|>\"") != std::string::npos ? TokenizerKind::kClip
                                                                  : TokenizerKind::kRoberta;
  }
  throw TokenizerError(fmt::format(
      "no tokenizer found in '{}': expected tokenizer_config.json with tokenizer_class, or "
      "vocab.txt (WordPiece), or vocab.json and merges.txt (byte-level BPE)",
      files.dir.string()));
}

BertOptions ReadBertOptions(const CheckpointFiles& files, const std::string& unk_token) {
  BertOptions options;
  options.unk_token = unk_token;
  options.do_lower_case = ConfigBool(files, "do_lower_case", true);
  options.tokenize_chinese_chars = ConfigBool(files, "tokenize_chinese_chars", true);
  options.do_basic_tokenize = ConfigBool(files, "do_basic_tokenize", true);
  if (files.config.contains("strip_accents") && !files.config["strip_accents"].is_null()) {
    options.strip_accents = ConfigBool(files, "strip_accents", true);
  }
  if (files.config.contains("never_split") && !files.config["never_split"].is_null()) {
    const json& list = files.config["never_split"];
    if (!list.is_array()) {
      throw TokenizerError(fmt::format("'{}': never_split must be a list of strings, got {}",
                                       files.config_path.string(), list.dump()));
    }
    for (const json& word : list) {
      if (!word.is_string()) {
        throw TokenizerError(fmt::format("'{}': never_split must be a list of strings, got {}",
                                         files.config_path.string(), list.dump()));
      }
      options.never_split.push_back(word.get<std::string>());
    }
  }
  return options;
}

std::string_view KindName(TokenizerKind kind) {
  switch (kind) {
    case TokenizerKind::kClip:
      return "CLIP";
    case TokenizerKind::kBert:
      return "BERT WordPiece";
    case TokenizerKind::kRoberta:
      return "RoBERTa";
  }
  return "unknown";
}

}  // namespace

std::unique_ptr<Tokenizer> LoadTokenizer(const fs::path& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    throw TokenizerError(
        fmt::format("tokenizer folder '{}' does not exist or is not a folder", dir.string()));
  }
  CheckpointFiles files;
  files.dir = dir;
  files.config_path = dir / "tokenizer_config.json";
  files.special_map_path = dir / "special_tokens_map.json";
  files.config = ReadOptionalJsonObject(files.config_path);
  files.special_map = ReadOptionalJsonObject(files.special_map_path);

  TokenizerKind kind = DetectKind(files);
  TokenizerSettings settings = BuildSettings(files, kind);
  std::map<std::string, TokenSpec> specs = ResolveTokenSpecs(files, kind);
  const std::string unk_token = RequiredToken(specs, "unk_token", files).content;

  std::unique_ptr<Tokenizer> tokenizer;
  switch (kind) {
    case TokenizerKind::kClip:
      tokenizer = std::make_unique<ClipTokenizer>(dir / "vocab.json", dir / "merges.txt", unk_token,
                                                  std::move(settings));
      break;
    case TokenizerKind::kRoberta:
      tokenizer = std::make_unique<RobertaTokenizer>(
          dir / "vocab.json", dir / "merges.txt", unk_token,
          ConfigBool(files, "add_prefix_space", false), std::move(settings));
      break;
    case TokenizerKind::kBert:
      tokenizer = std::make_unique<BertTokenizer>(
          dir / "vocab.txt", ReadBertOptions(files, unk_token), std::move(settings));
      break;
  }
  spdlog::info("loaded {} tokenizer from '{}' ({} special tokens, model_max_length {})",
               KindName(kind), dir.string(), tokenizer->special_tokens().size(),
               tokenizer->model_max_length());
  return tokenizer;
}

}  // namespace msearch::tokenizer
