#include "tokenizer/unicode_text.h"

#include <string>

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include "tokenizer/tokenizer_error.h"

namespace msearch::tokenizer {
namespace {

constexpr char32_t kReplacementCharacter = 0xFFFD;

icu::UnicodeString ToIcu(std::u32string_view text) {
  return icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(text.data()),
                                       static_cast<int32_t>(text.size()));
}

std::u32string FromIcu(const icu::UnicodeString& text) {
  std::u32string out;
  out.reserve(static_cast<size_t>(text.length()));
  for (int32_t i = 0; i < text.length();) {
    UChar32 c = text.char32At(i);
    out.push_back(static_cast<char32_t>(c));
    i += U16_LENGTH(c);
  }
  return out;
}

int8_t CategoryOf(char32_t code_point) { return u_charType(static_cast<UChar32>(code_point)); }

}  // namespace

std::u32string DecodeUtf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  int32_t i = 0;
  while (i < length) {
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    out.push_back(c < 0 ? kReplacementCharacter : static_cast<char32_t>(c));
  }
  return out;
}

void AppendUtf8(char32_t code_point, std::string& out) {
  if (code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    code_point = kReplacementCharacter;
  }
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

std::string EncodeUtf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) AppendUtf8(c, out);
  return out;
}

std::u32string Normalize(std::u32string_view text, NormalizationForm form) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normalizer = nullptr;
  switch (form) {
    case NormalizationForm::kNfc:
      normalizer = icu::Normalizer2::getNFCInstance(status);
      break;
    case NormalizationForm::kNfd:
      normalizer = icu::Normalizer2::getNFDInstance(status);
      break;
    case NormalizationForm::kNfkc:
      normalizer = icu::Normalizer2::getNFKCInstance(status);
      break;
  }
  if (U_FAILURE(status) || normalizer == nullptr) {
    throw TokenizerError(std::string("ICU normalizer data is not available: ") +
                         u_errorName(status));
  }
  icu::UnicodeString normalized = normalizer->normalize(ToIcu(text), status);
  if (U_FAILURE(status)) {
    throw TokenizerError(std::string("ICU normalization failed: ") + u_errorName(status));
  }
  return FromIcu(normalized);
}

std::u32string ToLowerFull(std::u32string_view text) {
  icu::UnicodeString icu_text = ToIcu(text);
  icu_text.toLower(icu::Locale::getRoot());
  return FromIcu(icu_text);
}

void AppendLowerOfCodePoint(char32_t code_point, std::u32string& out) {
  if (code_point < 0x80) {
    out.push_back(code_point >= 'A' && code_point <= 'Z' ? code_point + ('a' - 'A') : code_point);
    return;
  }
  out += ToLowerFull(std::u32string_view(&code_point, 1));
}

bool IsLetter(char32_t code_point) {
  return (U_GET_GC_MASK(static_cast<UChar32>(code_point)) & U_GC_L_MASK) != 0;
}

bool IsNumber(char32_t code_point) {
  return (U_GET_GC_MASK(static_cast<UChar32>(code_point)) & U_GC_N_MASK) != 0;
}

bool IsPunctuation(char32_t code_point) {
  return (U_GET_GC_MASK(static_cast<UChar32>(code_point)) & U_GC_P_MASK) != 0;
}

bool IsNonspacingMark(char32_t code_point) { return CategoryOf(code_point) == U_NON_SPACING_MARK; }

bool IsOtherCategory(char32_t code_point) {
  return (U_GET_GC_MASK(static_cast<UChar32>(code_point)) & U_GC_C_MASK) != 0;
}

bool IsSpaceSeparator(char32_t code_point) { return CategoryOf(code_point) == U_SPACE_SEPARATOR; }

bool IsWhiteSpace(char32_t code_point) {
  if (code_point < 0x80) {
    return code_point == ' ' || (code_point >= 0x09 && code_point <= 0x0D);
  }
  return u_hasBinaryProperty(static_cast<UChar32>(code_point), UCHAR_WHITE_SPACE) != 0;
}

bool IsPythonSpace(char32_t code_point) {
  return (code_point >= 0x1C && code_point <= 0x1F) || IsWhiteSpace(code_point);
}

std::u32string_view StripPythonSpace(std::u32string_view text) {
  while (!text.empty() && IsPythonSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsPythonSpace(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace msearch::tokenizer
