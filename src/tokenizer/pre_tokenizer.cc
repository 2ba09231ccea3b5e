#include "tokenizer/pre_tokenizer.h"

#include <unicode/uchar.h>

#include "tokenizer/unicode_text.h"

namespace msearch::tokenizer {
namespace {

enum class CharClass { kLetter, kNumber, kSpace, kOther, kUnmatched };

CharClass Classify(char32_t c) {
  if (IsWhiteSpace(c)) return CharClass::kSpace;
  if (IsLetter(c)) return CharClass::kLetter;
  if (IsNumber(c)) return CharClass::kNumber;
  return CharClass::kOther;
}

// Classification under re.IGNORECASE in the `regex` module: a character
// whose case variants are letters but that is not one itself (U+0345
// COMBINING GREEK YPOGEGRAMMENI, which folds to "ι") matches neither
// [\p{L}] nor [^\s\p{L}\p{N}], so no alternative takes it.
CharClass ClassifyIgnoringCase(char32_t c) {
  CharClass cls = Classify(c);
  if (cls != CharClass::kOther) return cls;
  const auto code_point = static_cast<UChar32>(c);
  for (UChar32 variant : {u_foldCase(code_point, U_FOLD_CASE_DEFAULT), u_toupper(code_point),
                          u_tolower(code_point)}) {
    if (variant != code_point && IsLetter(static_cast<char32_t>(variant))) {
      return CharClass::kUnmatched;
    }
  }
  return cls;
}

// Length of the run of characters of class `cls` starting at `start`.
size_t RunLength(std::u32string_view text, size_t start, CharClass cls,
                 CharClass (*classify)(char32_t) = Classify) {
  size_t end = start;
  while (end < text.size() && classify(text[end]) == cls) ++end;
  return end - start;
}

constexpr std::u32string_view kContractionSuffixes[] = {U"s", U"t",  U"re", U"ve",
                                                        U"m", U"ll", U"d"};

// Equality under simple case folding, which is how re.IGNORECASE compares
// literals ("'ſ" matches "'s" because U+017F folds to "s").
bool FoldedEqual(char32_t a, char32_t b) {
  return a == b || u_foldCase(static_cast<UChar32>(a), U_FOLD_CASE_DEFAULT) ==
                       u_foldCase(static_cast<UChar32>(b), U_FOLD_CASE_DEFAULT);
}

bool MatchesAt(std::u32string_view text, size_t pos, std::u32string_view literal,
               bool ignore_case) {
  if (text.size() - pos < literal.size()) return false;
  for (size_t i = 0; i < literal.size(); ++i) {
    char32_t c = text[pos + i];
    if (ignore_case ? !FoldedEqual(c, literal[i]) : c != literal[i]) return false;
  }
  return true;
}

// Length of "'s", "'t", ... at `pos`, or 0.
size_t ContractionLength(std::u32string_view text, size_t pos, bool ignore_case) {
  if (text[pos] != U'\'') return 0;
  for (std::u32string_view suffix : kContractionSuffixes) {
    if (MatchesAt(text, pos + 1, suffix, ignore_case)) return 1 + suffix.size();
  }
  return 0;
}

}  // namespace

std::vector<std::u32string_view> SplitClipPieces(std::u32string_view text) {
  static constexpr std::u32string_view kWholeTokens[] = {U"<|startoftext|>", U"<|endoftext|>"};
  std::vector<std::u32string_view> pieces;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length = 0;
    for (std::u32string_view token : kWholeTokens) {
      if (MatchesAt(text, pos, token, /*ignore_case=*/true)) {
        length = token.size();
        break;
      }
    }
    if (length == 0) length = ContractionLength(text, pos, /*ignore_case=*/true);
    if (length == 0) {
      CharClass cls = ClassifyIgnoringCase(text[pos]);
      switch (cls) {
        case CharClass::kLetter:
        case CharClass::kOther:
          length = RunLength(text, pos, cls, ClassifyIgnoringCase);
          break;
        case CharClass::kNumber:
          length = 1;
          break;
        case CharClass::kSpace:
        case CharClass::kUnmatched:
          ++pos;  // no alternative matches here: findall skips the character
          continue;
      }
    }
    pieces.push_back(text.substr(pos, length));
    pos += length;
  }
  return pieces;
}

std::vector<std::u32string_view> SplitGpt2Pieces(std::u32string_view text) {
  std::vector<std::u32string_view> pieces;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length = ContractionLength(text, pos, /*ignore_case=*/false);
    if (length == 0) {
      // " ?\p{L}+", " ?\p{N}+" and " ?[^\s\p{L}\p{N}]+": an optional space,
      // then a run of one class.
      size_t start = text[pos] == U' ' ? pos + 1 : pos;
      if (start < text.size()) {
        CharClass cls = Classify(text[start]);
        if (cls != CharClass::kSpace) length = start - pos + RunLength(text, start, cls);
      }
    }
    if (length == 0) {
      // "\s+(?!\S)" takes a whitespace run but leaves its last character
      // when a non-space follows, so that character can prefix the next
      // word. A single whitespace character before a non-space falls
      // through to "\s+", which takes it alone.
      size_t run = RunLength(text, pos, CharClass::kSpace);
      bool followed_by_text = pos + run < text.size();
      length = (followed_by_text && run > 1) ? run - 1 : run;
    }
    pieces.push_back(text.substr(pos, length));
    pos += length;
  }
  return pieces;
}

}  // namespace msearch::tokenizer
