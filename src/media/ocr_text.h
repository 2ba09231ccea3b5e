#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace msearch::media {

// One recognised word. The box is in pixels of the input image.
struct OcrWord {
  std::string text;      // UTF-8
  float confidence = 0;  // Tesseract's, 0 to 100
  int left = 0;
  int top = 0;
  int width = 0;
  int height = 0;
};

// Returns true when `word` contains a letter or digit: an ASCII letter or
// digit, or any non-ASCII character outside the punctuation and symbol
// blocks. Tesseract reads texture as runs of punctuation ("~~", "|", "—"),
// which this rejects.
bool HasLetterOrDigit(std::string_view word);

// Returns true for characters of scripts written without spaces between
// words: CJK ideographs, kana and fullwidth forms.
bool IsSpacelessScriptCharacter(char32_t code_point);

// Groups words into lines by vertical overlap, in reading order: lines top
// to bottom, words left to right.
std::vector<std::vector<OcrWord>> GroupWordsIntoLines(std::vector<OcrWord> words);

// Joins lines with '\n' and their words with one space, except that two
// Chinese or Japanese characters closer than half a character height are
// joined without one, so "上 海" reads "上海" while a real gap stays.
std::string JoinLines(const std::vector<std::vector<OcrWord>>& lines);

}  // namespace msearch::media
