#include "tokenizer/clip_tokenizer.h"

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/text_fixer.h"
#include "tokenizer/unicode_text.h"

namespace msearch::tokenizer {
namespace {

// CLIPTokenizer keeps merges [1 : 49152 - 256 - 2 + 1] of the file.
constexpr size_t kClipMaxMerges = 49152 - 256 - 2;

BpeOptions ClipBpeOptions(std::string_view unk_token) {
  BpeOptions options;
  options.end_of_word_suffix = "</w>";
  options.merges_layout = MergesLayout::kStripThenSkipHeader;
  options.max_merges = kClipMaxMerges;
  options.unk_token = std::string(unk_token);
  options.whole_pieces = {"<|startoftext|>", "<|endoftext|>"};
  return options;
}

}  // namespace

ClipTokenizer::ClipTokenizer(const std::filesystem::path& vocab_json,
                             const std::filesystem::path& merges_txt, std::string_view unk_token,
                             TokenizerSettings settings)
    : Tokenizer(std::move(settings)), bpe_(vocab_json, merges_txt, ClipBpeOptions(unk_token)) {
  ResolveSpecialTokenIds(vocab_json.string());
}

void ClipTokenizer::EncodeNormalized(std::u32string_view normalized,
                                     std::vector<int32_t>& ids) const {
  for (std::u32string_view piece : SplitClipPieces(normalized)) {
    bpe_.Encode(EncodeUtf8(piece), ids);
  }
}

void ClipTokenizer::EncodeOrdinaryText(std::string_view text, std::vector<int32_t>& ids) const {
  EncodeNormalized(NormalizeClipText(DecodeUtf8(text)), ids);
}

}  // namespace msearch::tokenizer
