#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace msearch::tokenizer {

// Options of BertTokenizer, from tokenizer_config.json.
struct BertOptions {
  bool do_lower_case = true;
  // nullopt follows do_lower_case (the reference's strip_accents=None).
  std::optional<bool> strip_accents;
  bool tokenize_chinese_chars = true;
  bool do_basic_tokenize = true;
  // Words passed to WordPiece unsplit (tokenizer_config "never_split").
  std::vector<std::string> never_split;
  std::string unk_token = "[UNK]";
};

// BertTokenizer of transformers 4.27, which Chinese-CLIP uses. Its basic
// tokenizer removes control characters, U+0000 and U+FFFD, maps whitespace
// to spaces and puts spaces around CJK ideographs. It then splits on
// whitespace, lower-cases, strips accents (NFD without Mn marks) and splits
// off punctuation (Unicode P* and ASCII symbols). Greedy longest-match
// WordPiece with "##" continuations follows. A word longer than 100
// characters or with an unmatched part becomes [UNK]. The ids are put
// between [CLS] and [SEP].
class BertTokenizer final : public Tokenizer {
 public:
  // Reads vocab.txt (one token per line, the line number is the id). Throws
  // TokenizerError when it is missing or empty or lacks the unk token.
  BertTokenizer(const std::filesystem::path& vocab_txt, BertOptions options,
                TokenizerSettings settings);

  TokenizerKind kind() const override { return TokenizerKind::kBert; }

  std::string_view TokenForId(int32_t id) const override;
  std::optional<int32_t> TokenId(std::string_view token) const override;

 protected:
  std::string PrepareText(std::string_view text) const override;
  void EncodeOrdinaryText(std::string_view text, std::vector<int32_t>& ids) const override;

 private:
  static std::unordered_map<std::string, int32_t> LoadVocab(const std::filesystem::path& vocab_txt);
  std::vector<std::u32string> BasicTokenize(std::u32string_view text) const;
  void AppendWordPieces(std::u32string_view word, std::vector<int32_t>& ids) const;
  std::optional<int32_t> Lookup(const std::string& token) const;

  BertOptions options_;
  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> tokens_by_id_;
  int32_t unk_id_ = 0;
  std::unordered_set<std::u32string> never_split_;  // config never_split plus special tokens
  std::unordered_set<std::u32string> config_never_split_;
};

}  // namespace msearch::tokenizer
