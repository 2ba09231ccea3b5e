#pragma once

#include <string>
#include <string_view>

namespace msearch::tokenizer {

// Unicode helpers over ICU that reproduce what the Python reference
// tokenizers see: code points (Python str), full case mapping (str.lower),
// normalization forms (unicodedata.normalize) and character classes. ICU 72
// implements Unicode 15; Python 3.11 implements Unicode 14, so characters
// assigned in Unicode 15 may be classified differently.

// Decodes UTF-8 into code points. Each invalid byte sequence becomes U+FFFD,
// as Python's bytes.decode("utf-8", errors="replace") does.
std::u32string DecodeUtf8(std::string_view text);

// Encodes code points as UTF-8. Surrogates and values above U+10FFFF become
// U+FFFD.
std::string EncodeUtf8(std::u32string_view text);
void AppendUtf8(char32_t code_point, std::string& out);

enum class NormalizationForm { kNfc, kNfd, kNfkc };

// Returns unicodedata.normalize(form, text).
std::u32string Normalize(std::u32string_view text, NormalizationForm form);

// Returns str.lower(): full lower-case mapping without a locale, including
// the Final_Sigma rule ("ΟΣ" becomes "ος") and one-to-many mappings ("İ"
// becomes "i" + U+0307).
std::u32string ToLowerFull(std::u32string_view text);

// Appends the full lower-case mapping of one code point taken alone, as
// Python's `c.lower()` for a one-character string (so "Σ" becomes "σ").
void AppendLowerOfCodePoint(char32_t code_point, std::u32string& out);

// General category L* (letters).
bool IsLetter(char32_t code_point);
// General category N* (Nd, Nl, No).
bool IsNumber(char32_t code_point);
// General category P* (punctuation).
bool IsPunctuation(char32_t code_point);
// General category Mn (non-spacing marks).
bool IsNonspacingMark(char32_t code_point);
// General category C* (Cc, Cf, Cs, Co, Cn).
bool IsOtherCategory(char32_t code_point);
// General category Zs (space separators).
bool IsSpaceSeparator(char32_t code_point);
// The White_Space property: what `\s` matches in the Python `regex` module.
bool IsWhiteSpace(char32_t code_point);
// Python's str.isspace(): White_Space plus U+001C..U+001F.
bool IsPythonSpace(char32_t code_point);

// Returns `text` without leading and trailing characters for which
// IsPythonSpace is true, as str.strip().
std::u32string_view StripPythonSpace(std::u32string_view text);

}  // namespace msearch::tokenizer
