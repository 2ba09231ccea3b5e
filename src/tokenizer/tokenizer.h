#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/special_tokens.h"

namespace msearch::tokenizer {

// Model input for one text: token ids and the attention mask (1 for real
// tokens, 0 for padding), both of the requested length.
struct Encoding {
  std::vector<int32_t> input_ids;
  std::vector<int32_t> attention_mask;
};

enum class TokenizerKind { kClip, kBert, kRoberta };

// Special tokens and limits shared by every tokenizer kind. Token strings
// are resolved to ids against the vocabulary when the tokenizer is built.
struct TokenizerSettings {
  std::string start_token;  // prepended to every text: <|startoftext|>, [CLS], <s>
  std::string end_token;    // appended to every text: <|endoftext|>, [SEP], </s>
  std::string pad_token;
  // The tokenizer's maximum sequence length from tokenizer_config.json
  // (model_max_length). Models may use a shorter context.
  int model_max_length = 512;
  // Strings recognised in the text and mapped to their ids as a whole; the
  // `id` fields are filled in when the tokenizer is built.
  std::vector<SpecialToken> special_tokens;
};

// A text tokenizer that reproduces the ids of a transformers 4.27 slow
// (pure Python) tokenizer. Input text is UTF-8, and invalid sequences are
// read as U+FFFD rather than rejected. Thread-safe: all methods are const
// and may run concurrently.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  virtual TokenizerKind kind() const = 0;

  // Returns tokenizer(text)["input_ids"]: start token, the text's tokens,
  // end token, without truncation or padding.
  std::vector<int32_t> Encode(std::string_view text) const;

  // Returns the ids of the text alone, without start and end tokens.
  std::vector<int32_t> EncodeWithoutSpecialTokens(std::string_view text) const;

  // Returns tokenizer(text, padding="max_length", max_length=max_length,
  // truncation=True): the first max_length - 2 text tokens between the
  // start and end tokens, then pad_id up to max_length. Throws
  // TokenizerError when max_length is below 2.
  Encoding EncodeForModel(std::string_view text, int max_length) const;

  // The vocabulary entry of `id`, or an empty view when there is none.
  virtual std::string_view TokenForId(int32_t id) const = 0;
  // The id of a vocabulary entry, or nullopt.
  virtual std::optional<int32_t> TokenId(std::string_view token) const = 0;

  int32_t start_id() const { return start_id_; }
  int32_t end_id() const { return end_id_; }
  int32_t pad_id() const { return pad_id_; }
  int model_max_length() const { return settings_.model_max_length; }
  const std::vector<SpecialToken>& special_tokens() const { return settings_.special_tokens; }

 protected:
  explicit Tokenizer(TokenizerSettings settings) : settings_(std::move(settings)) {}

  // Looks up the ids of the start, end, pad and special tokens through
  // TokenId. Derived constructors call it once their vocabulary is loaded.
  // Throws TokenizerError naming `vocab_file` when a token is not in it.
  void ResolveSpecialTokenIds(std::string_view vocab_file);

  // Rewrites the whole text before special tokens are split off (BERT
  // lower-cases everything but the special tokens here). The default keeps it.
  virtual std::string PrepareText(std::string_view text) const;

  // Appends the ids of one piece of ordinary text (special tokens removed).
  virtual void EncodeOrdinaryText(std::string_view text, std::vector<int32_t>& ids) const = 0;

 private:
  TokenizerSettings settings_;
  int32_t start_id_ = 0;
  int32_t end_id_ = 0;
  int32_t pad_id_ = 0;
};

}  // namespace msearch::tokenizer
