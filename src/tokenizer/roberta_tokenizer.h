#pragma once

#include <filesystem>
#include <string_view>

#include "tokenizer/bpe_model.h"
#include "tokenizer/tokenizer.h"

namespace msearch::tokenizer {

// RobertaTokenizer (and GPT2Tokenizer) of transformers 4.27: special tokens
// split off, then SplitGpt2Pieces and byte-level BPE on the text as it is
// (no normalization, no lower case); <s> ... </s> around the text. With
// add_prefix_space (tokenizer_config.json) a space is put before the text.
class RobertaTokenizer final : public Tokenizer {
 public:
  // Throws TokenizerError when a file is missing or malformed.
  RobertaTokenizer(const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt,
                   std::string_view unk_token, bool add_prefix_space, TokenizerSettings settings);

  TokenizerKind kind() const override { return TokenizerKind::kRoberta; }

  std::string_view TokenForId(int32_t id) const override { return bpe_.TokenForId(id); }
  std::optional<int32_t> TokenId(std::string_view token) const override {
    return bpe_.TokenId(token);
  }

 protected:
  std::string PrepareText(std::string_view text) const override;
  void EncodeOrdinaryText(std::string_view text, std::vector<int32_t>& ids) const override;

 private:
  BpeModel bpe_;
  bool add_prefix_space_;
};

}  // namespace msearch::tokenizer
