#include "tokenizer/roberta_tokenizer.h"

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/unicode_text.h"

namespace msearch::tokenizer {
namespace {

BpeOptions RobertaBpeOptions(std::string_view unk_token) {
  BpeOptions options;
  options.merges_layout = MergesLayout::kSkipHeaderAndLastLine;
  options.unk_token = std::string(unk_token);
  return options;
}

}  // namespace

RobertaTokenizer::RobertaTokenizer(const std::filesystem::path& vocab_json,
                                   const std::filesystem::path& merges_txt,
                                   std::string_view unk_token, bool add_prefix_space,
                                   TokenizerSettings settings)
    : Tokenizer(std::move(settings)),
      bpe_(vocab_json, merges_txt, RobertaBpeOptions(unk_token)),
      add_prefix_space_(add_prefix_space) {
  ResolveSpecialTokenIds(vocab_json.string());
}

std::string RobertaTokenizer::PrepareText(std::string_view text) const {
  return add_prefix_space_ ? " " + std::string(text) : std::string(text);
}

void RobertaTokenizer::EncodeOrdinaryText(std::string_view text, std::vector<int32_t>& ids) const {
  std::u32string code_points = DecodeUtf8(text);
  for (std::u32string_view piece : SplitGpt2Pieces(code_points)) {
    bpe_.Encode(EncodeUtf8(piece), ids);
  }
}

}  // namespace msearch::tokenizer
