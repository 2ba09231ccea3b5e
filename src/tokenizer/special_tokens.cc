#include "tokenizer/special_tokens.h"

#include <unicode/utf8.h>

#include "tokenizer/unicode_text.h"

namespace msearch::tokenizer {
namespace {

const SpecialToken* LongestMatchAt(std::string_view text, size_t pos,
                                   const std::vector<SpecialToken>& tokens) {
  const SpecialToken* best = nullptr;
  for (const SpecialToken& token : tokens) {
    if (token.content.empty() || text.size() - pos < token.content.size()) continue;
    if (text.compare(pos, token.content.size(), token.content) != 0) continue;
    if (best == nullptr || token.content.size() > best->content.size()) best = &token;
  }
  return best;
}

}  // namespace

std::string_view StripLeftPythonSpace(std::string_view text) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  int32_t i = 0;
  while (i < length) {
    int32_t next = i;
    UChar32 c;
    U8_NEXT(bytes, next, length, c);
    if (c < 0 || !IsPythonSpace(static_cast<char32_t>(c))) break;
    i = next;
  }
  return text.substr(static_cast<size_t>(i));
}

std::string_view StripRightPythonSpace(std::string_view text) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  auto end = static_cast<int32_t>(text.size());
  while (end > 0) {
    int32_t previous = end;
    UChar32 c;
    U8_PREV(bytes, 0, previous, c);
    if (c < 0 || !IsPythonSpace(static_cast<char32_t>(c))) break;
    end = previous;
  }
  return text.substr(0, static_cast<size_t>(end));
}

std::vector<TextSegment> SplitOnSpecialTokens(std::string_view text,
                                              const std::vector<SpecialToken>& tokens,
                                              bool apply_strip) {
  std::vector<TextSegment> segments;
  size_t text_start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const SpecialToken* token = LongestMatchAt(text, pos, tokens);
    if (token == nullptr) {
      ++pos;
      continue;
    }
    segments.push_back({text.substr(text_start, pos - text_start), nullptr});
    segments.push_back({std::string_view(token->content), token});
    pos += token->content.size();
    text_start = pos;
  }
  segments.push_back({text.substr(text_start), nullptr});

  for (size_t i = 0; i < segments.size(); ++i) {
    const SpecialToken* token = segments[i].special;
    if (token == nullptr || !apply_strip) continue;
    if (token->rstrip && i + 1 < segments.size() && segments[i + 1].special == nullptr) {
      segments[i + 1].text = StripLeftPythonSpace(segments[i + 1].text);
    }
    if (token->lstrip && i > 0 && segments[i - 1].special == nullptr) {
      segments[i - 1].text = StripRightPythonSpace(segments[i - 1].text);
    }
  }

  std::vector<TextSegment> non_empty;
  non_empty.reserve(segments.size());
  for (const TextSegment& segment : segments) {
    if (segment.special != nullptr || !segment.text.empty()) non_empty.push_back(segment);
  }
  return non_empty;
}

}  // namespace msearch::tokenizer
