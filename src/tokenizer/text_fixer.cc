#include "tokenizer/text_fixer.h"

#include <array>

#include <unicode/uchar.h>

#include "tokenizer/html_unescape.h"
#include "tokenizer/legacy_charsets.h"
#include "tokenizer/unicode_text.h"

namespace msearch::tokenizer {
namespace {

// fix_text handles at most this many code points per step (ftfy's
// max_decode_length default).
constexpr size_t kMaxSegmentLength = 1'000'000;

constexpr char32_t kFirstWideForm = 0xFF01;
constexpr char32_t kLastWideForm = 0xFFEF;

std::u32string FixC1Controls(std::u32string_view text) {
  std::u32string out(text);
  for (char32_t& c : out) {
    if (c >= 0x80 && c <= 0x9F) c = DecodeWindows1252Byte(c);
  }
  return out;
}

// The Latin ligatures and legacy digraphs ftfy splits. "ﬅ" becomes "ſt",
// not the "st" that NFKC gives.
std::u32string_view LigatureReplacement(char32_t c) {
  switch (c) {
    case U'Ĳ':
      return U"IJ";
    case U'ĳ':
      return U"ij";
    case U'ŉ':
      return U"ʼn";
    case U'Ǳ':
      return U"DZ";
    case U'ǲ':
      return U"Dz";
    case U'ǳ':
      return U"dz";
    case U'Ǆ':
      return U"DŽ";
    case U'ǅ':
      return U"Dž";
    case U'ǆ':
      return U"dž";
    case U'Ǉ':
      return U"LJ";
    case U'ǈ':
      return U"Lj";
    case U'ǉ':
      return U"lj";
    case U'Ǌ':
      return U"NJ";
    case U'ǋ':
      return U"Nj";
    case U'ǌ':
      return U"nj";
    case U'ﬀ':
      return U"ff";
    case U'ﬁ':
      return U"fi";
    case U'ﬂ':
      return U"fl";
    case U'ﬃ':
      return U"ffi";
    case U'ﬄ':
      return U"ffl";
    case U'ﬅ':
      return U"ſt";
    case U'ﬆ':
      return U"st";
    default:
      return {};
  }
}

std::u32string FixLatinLigatures(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    std::u32string_view replacement = LigatureReplacement(c);
    if (replacement.empty()) {
      out.push_back(c);
    } else {
      out += replacement;
    }
  }
  return out;
}

// NFKC of each character in U+FF01..U+FFEF (full-width ASCII, half-width
// katakana and hangul, full-width symbols), the same table as ftfy's width map.
const std::array<std::u32string, kLastWideForm - kFirstWideForm + 1>& WideFormTable() {
  static const auto table = [] {
    std::array<std::u32string, kLastWideForm - kFirstWideForm + 1> entries;
    for (char32_t c = kFirstWideForm; c <= kLastWideForm; ++c) {
      entries[c - kFirstWideForm] = Normalize(std::u32string_view(&c, 1), NormalizationForm::kNfkc);
    }
    return entries;
  }();
  return table;
}

std::u32string FixCharacterWidth(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c == 0x3000) {
      out.push_back(U' ');
    } else if (c >= kFirstWideForm && c <= kLastWideForm) {
      out += WideFormTable()[c - kFirstWideForm];
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::u32string UncurlQuotes(std::u32string_view text) {
  std::u32string out(text);
  for (char32_t& c : out) {
    if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) {
      c = U'\'';
    } else if (c >= 0x201C && c <= 0x201F) {
      c = U'"';
    }
  }
  return out;
}

std::u32string FixLineBreaks(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char32_t c = text[i];
    if (c == U'\r' && i + 1 < text.size() && text[i + 1] == U'\n') continue;
    if (c == U'\r' || c == 0x2028 || c == 0x2029 || c == 0x85) c = U'\n';
    out.push_back(c);
  }
  return out;
}

// Removes ANSI terminal escapes: ESC '[' (decimal digits or ';')* letter.
std::u32string RemoveTerminalEscapes(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == 0x1B && i + 1 < text.size() && text[i + 1] == U'[') {
      size_t end = i + 2;
      while (end < text.size() &&
             (text[end] == U';' || u_isdigit(static_cast<UChar32>(text[end])))) {
        ++end;
      }
      char32_t last = end < text.size() ? text[end] : 0;
      if ((last >= U'a' && last <= U'z') || (last >= U'A' && last <= U'Z')) {
        i = end + 1;
        continue;
      }
    }
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

// Control characters ftfy removes: C0 controls other than tab, line feed,
// form feed and carriage return, DEL, the deprecated format characters
// U+206A..U+206F, the byte order mark and the interlinear annotation
// characters U+FFF9..U+FFFC.
bool IsRemovedControl(char32_t c) {
  return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
         (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

std::u32string RemoveControlChars(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (!IsRemovedControl(c)) out.push_back(c);
  }
  return out;
}

std::u32string FixSegment(std::u32string_view segment, bool unescape_html) {
  std::u32string text(segment);
  while (true) {
    std::u32string original = text;
    if (unescape_html) text = UnescapeHtml(text);
    text = FixC1Controls(text);
    text = FixLatinLigatures(text);
    text = FixCharacterWidth(text);
    text = UncurlQuotes(text);
    text = FixLineBreaks(text);
    // ftfy's fix_surrogates has nothing to do: decoded UTF-8 has no surrogates.
    text = RemoveTerminalEscapes(text);
    text = RemoveControlChars(text);
    text = Normalize(text, NormalizationForm::kNfc);
    if (text == original) return text;
  }
}

}  // namespace

std::u32string FixText(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  bool unescape_html = true;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t newline = text.find(U'\n', pos);
    size_t end = newline == std::u32string_view::npos ? text.size() : newline + 1;
    end = std::min(end, pos + kMaxSegmentLength);
    std::u32string_view segment = text.substr(pos, end - pos);
    // Once a line contains '<', the text may be HTML, whose entities are
    // meant literally; ftfy keeps them for the rest of the text.
    if (unescape_html && segment.find(U'<') != std::u32string_view::npos) unescape_html = false;
    out += FixSegment(segment, unescape_html);
    pos = end;
  }
  return out;
}

std::u32string NormalizeClipText(std::u32string_view text) {
  std::u32string fixed = FixText(text);
  std::u32string collapsed;
  collapsed.reserve(fixed.size());
  bool in_space = false;
  for (char32_t c : fixed) {
    if (IsPythonSpace(c)) {
      if (!in_space) collapsed.push_back(U' ');
      in_space = true;
    } else {
      collapsed.push_back(c);
      in_space = false;
    }
  }
  return ToLowerFull(StripPythonSpace(collapsed));
}

}  // namespace msearch::tokenizer
