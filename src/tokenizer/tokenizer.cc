#include "tokenizer/tokenizer.h"

#include <fmt/format.h>

#include "tokenizer/tokenizer_error.h"

namespace msearch::tokenizer {

void Tokenizer::ResolveSpecialTokenIds(std::string_view vocab_file) {
  auto resolve = [&](const std::string& token, std::string_view role) {
    std::optional<int32_t> id = TokenId(token);
    if (!id) {
      throw TokenizerError(
          fmt::format("the {} '{}' is not in the vocabulary '{}'; check tokenizer_config.json and "
                      "special_tokens_map.json against the vocabulary file",
                      role, token, vocab_file));
    }
    return *id;
  };
  start_id_ = resolve(settings_.start_token, "start token");
  end_id_ = resolve(settings_.end_token, "end token");
  pad_id_ = resolve(settings_.pad_token, "padding token");
  for (SpecialToken& token : settings_.special_tokens) {
    token.id = resolve(token.content, "special token");
  }
}

std::string Tokenizer::PrepareText(std::string_view text) const { return std::string(text); }

std::vector<int32_t> Tokenizer::EncodeWithoutSpecialTokens(std::string_view text) const {
  std::string prepared = PrepareText(text);
  std::vector<int32_t> ids;
  for (const TextSegment& segment : SplitOnSpecialTokens(prepared, settings_.special_tokens)) {
    if (segment.special != nullptr) {
      ids.push_back(segment.special->id);
    } else {
      EncodeOrdinaryText(segment.text, ids);
    }
  }
  return ids;
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text) const {
  std::vector<int32_t> ids;
  ids.push_back(start_id_);
  std::vector<int32_t> text_ids = EncodeWithoutSpecialTokens(text);
  ids.insert(ids.end(), text_ids.begin(), text_ids.end());
  ids.push_back(end_id_);
  return ids;
}

Encoding Tokenizer::EncodeForModel(std::string_view text, int max_length) const {
  if (max_length < 2) {
    throw TokenizerError(fmt::format(
        "max_length {} is too small: it must leave room for the start and end tokens (>= 2)",
        max_length));
  }
  std::vector<int32_t> text_ids = EncodeWithoutSpecialTokens(text);
  const auto capacity = static_cast<size_t>(max_length - 2);
  if (text_ids.size() > capacity) text_ids.resize(capacity);

  Encoding encoding;
  encoding.input_ids.reserve(static_cast<size_t>(max_length));
  encoding.input_ids.push_back(start_id_);
  encoding.input_ids.insert(encoding.input_ids.end(), text_ids.begin(), text_ids.end());
  encoding.input_ids.push_back(end_id_);
  encoding.attention_mask.assign(encoding.input_ids.size(), 1);
  encoding.input_ids.resize(static_cast<size_t>(max_length), pad_id_);
  encoding.attention_mask.resize(static_cast<size_t>(max_length), 0);
  return encoding;
}

}  // namespace msearch::tokenizer
