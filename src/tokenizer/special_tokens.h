#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace msearch::tokenizer {

// A special-token string that is recognised in the input text and mapped to
// its id before any normalization. `lstrip`/`rstrip` remove the whitespace
// before/after it, as the AddedToken flags of transformers 4.27 do; tokens
// configured as plain strings strip on both sides.
struct SpecialToken {
  std::string content;
  int32_t id = 0;
  bool lstrip = false;
  bool rstrip = false;
};

// A part of the input text: either ordinary text or one special token.
struct TextSegment {
  std::string_view text;
  const SpecialToken* special = nullptr;  // null for ordinary text
};

// Splits UTF-8 `text` at every occurrence of a special token (leftmost
// first, the longest one when several start at the same place). With
// `apply_strip` the strip flags remove Python str.strip whitespace next to
// the tokens. Empty ordinary segments are dropped. The segments view `text`
// and `tokens`.
std::vector<TextSegment> SplitOnSpecialTokens(std::string_view text,
                                              const std::vector<SpecialToken>& tokens,
                                              bool apply_strip = true);

// Returns `text` without leading (StripLeft) or trailing (StripRight)
// characters for which Python's str.isspace() is true.
std::string_view StripLeftPythonSpace(std::string_view text);
std::string_view StripRightPythonSpace(std::string_view text);

}  // namespace msearch::tokenizer
