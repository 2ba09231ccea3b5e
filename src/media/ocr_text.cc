#include "media/ocr_text.h"

#include <algorithm>

namespace msearch::media {
namespace {

// Decodes the UTF-8 sequence at `text[*position]` and advances past it.
// Invalid bytes decode as U+FFFD.
char32_t NextCodePoint(std::string_view text, size_t* position) {
  auto byte = static_cast<unsigned char>(text[*position]);
  int length = byte < 0x80           ? 1
               : (byte >> 5) == 0x6  ? 2
               : (byte >> 4) == 0xe  ? 3
               : (byte >> 3) == 0x1e ? 4
                                     : 0;
  if (length == 0 || *position + static_cast<size_t>(length) > text.size()) {
    ++*position;
    return 0xfffd;
  }
  char32_t code_point = length == 1 ? byte : byte & (0x7f >> length);
  for (int i = 1; i < length; ++i) {
    auto next = static_cast<unsigned char>(text[*position + static_cast<size_t>(i)]);
    if ((next & 0xc0) != 0x80) {
      ++*position;
      return 0xfffd;
    }
    code_point = (code_point << 6) | (next & 0x3f);
  }
  *position += static_cast<size_t>(length);
  return code_point;
}

char32_t FirstCodePoint(std::string_view text) {
  size_t position = 0;
  return text.empty() ? 0 : NextCodePoint(text, &position);
}

char32_t LastCodePoint(std::string_view text) {
  size_t start = text.size();
  while (start > 0) {
    --start;
    if ((static_cast<unsigned char>(text[start]) & 0xc0) != 0x80) break;
  }
  size_t position = start;
  return text.empty() ? 0 : NextCodePoint(text, &position);
}

bool IsPunctuationOrSymbol(char32_t c) {
  return (c >= 0x80 && c <= 0xbf) ||      // Latin-1 punctuation and symbols
         (c >= 0x2000 && c <= 0x2bff) ||  // general punctuation to arrows and shapes
         (c >= 0x3000 && c <= 0x303f) ||  // CJK symbols and punctuation
         (c >= 0xfe30 && c <= 0xfe4f) ||  // CJK compatibility forms
         (c >= 0xff00 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20) ||
         (c >= 0xff3b && c <= 0xff40) || (c >= 0xff5b && c <= 0xff65) ||  // fullwidth punctuation
         c == 0xfffd;
}

int VerticalOverlap(const OcrWord& a, int line_top, int line_bottom) {
  return std::min(a.top + a.height, line_bottom) - std::max(a.top, line_top);
}

}  // namespace

bool HasLetterOrDigit(std::string_view word) {
  size_t position = 0;
  while (position < word.size()) {
    char32_t c = NextCodePoint(word, &position);
    bool ascii_alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (ascii_alnum || (c >= 0x80 && !IsPunctuationOrSymbol(c))) return true;
  }
  return false;
}

bool IsSpacelessScriptCharacter(char32_t c) {
  return (c >= 0x2e80 && c <= 0x2fdf) ||  // CJK radicals
         (c >= 0x3040 && c <= 0x30ff) ||  // hiragana and katakana
         (c >= 0x3100 && c <= 0x312f) ||  // bopomofo
         (c >= 0x3400 && c <= 0x4dbf) ||  // CJK extension A
         (c >= 0x4e00 && c <= 0x9fff) ||  // CJK unified ideographs
         (c >= 0xf900 && c <= 0xfaff) ||  // CJK compatibility ideographs
         (c >= 0xff00 && c <= 0xffef) ||  // fullwidth forms
         (c >= 0x3000 && c <= 0x303f) ||  // CJK punctuation
         (c >= 0x20000 && c <= 0x2fa1f);  // CJK extensions B to F
}

std::vector<std::vector<OcrWord>> GroupWordsIntoLines(std::vector<OcrWord> words) {
  std::sort(words.begin(), words.end(), [](const OcrWord& a, const OcrWord& b) {
    return a.top * 2 + a.height < b.top * 2 + b.height;
  });

  struct Line {
    int top;
    int bottom;
    std::vector<OcrWord> words;
  };
  std::vector<Line> lines;
  for (OcrWord& word : words) {
    // A word joins the line it overlaps by at least half of the shorter
    // height, so a tall capital and a short lower-case word share a line
    // but stacked lines stay apart.
    Line* home = nullptr;
    for (Line& line : lines) {
      int shorter = std::min(word.height, line.bottom - line.top);
      if (VerticalOverlap(word, line.top, line.bottom) * 2 >= shorter && shorter > 0) {
        home = &line;
        break;
      }
    }
    if (home == nullptr) {
      lines.push_back(Line{word.top, word.top + word.height, {}});
      home = &lines.back();
    }
    home->top = std::min(home->top, word.top);
    home->bottom = std::max(home->bottom, word.top + word.height);
    home->words.push_back(std::move(word));
  }

  std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.top < b.top; });
  std::vector<std::vector<OcrWord>> result;
  for (Line& line : lines) {
    std::sort(line.words.begin(), line.words.end(),
              [](const OcrWord& a, const OcrWord& b) { return a.left < b.left; });
    result.push_back(std::move(line.words));
  }
  return result;
}

std::string JoinLines(const std::vector<std::vector<OcrWord>>& lines) {
  std::string text;
  for (const auto& line : lines) {
    if (line.empty()) continue;
    if (!text.empty()) text += '\n';
    const OcrWord* previous = nullptr;
    for (const OcrWord& word : line) {
      if (previous != nullptr) {
        int gap = word.left - (previous->left + previous->width);
        int height = std::max(word.height, previous->height);
        bool spaceless = IsSpacelessScriptCharacter(LastCodePoint(previous->text)) &&
                         IsSpacelessScriptCharacter(FirstCodePoint(word.text));
        if (!spaceless || gap * 2 >= height) text += ' ';
      }
      text += word.text;
      previous = &word;
    }
  }
  return text;
}

}  // namespace msearch::media
