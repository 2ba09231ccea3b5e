#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "tokenizer/bpe_model.h"
#include "tokenizer/tokenizer.h"

namespace msearch::tokenizer {

// CLIPTokenizer of transformers 4.27 with ftfy installed: special tokens
// split off, then per piece NormalizeClipText (ftfy, whitespace clean-up,
// lower case), SplitClipPieces and byte-level BPE with "</w>" marking the
// end of each word; <|startoftext|> ... <|endoftext|> around the text.
class ClipTokenizer final : public Tokenizer {
 public:
  // The merges file is read as CLIP does: at most 48894 merges (49152 ids
  // minus 256 byte symbols, their 256 "</w>" forms and 2 special tokens,
  // counted the way the reference slices the file). Throws TokenizerError
  // when a file is missing or malformed.
  ClipTokenizer(const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt,
                std::string_view unk_token, TokenizerSettings settings);

  TokenizerKind kind() const override { return TokenizerKind::kClip; }

  // Appends the BPE ids of text that is already normalized (the
  // `normalized` form of the reference), skipping ftfy and lower-casing.
  void EncodeNormalized(std::u32string_view normalized, std::vector<int32_t>& ids) const;

  std::string_view TokenForId(int32_t id) const override { return bpe_.TokenForId(id); }
  std::optional<int32_t> TokenId(std::string_view token) const override {
    return bpe_.TokenId(token);
  }

 protected:
  void EncodeOrdinaryText(std::string_view text, std::vector<int32_t>& ids) const override;

 private:
  BpeModel bpe_;
};

}  // namespace msearch::tokenizer
