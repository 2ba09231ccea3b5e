#include "tokenizer/html_unescape.h"

#include <algorithm>
#include <array>
#include <optional>

#include "tokenizer/legacy_charsets.h"
#include "tokenizer/unicode_text.h"

namespace msearch::tokenizer {
namespace {

struct NamedEntity {
  std::string_view name;
  std::string_view value;  // UTF-8
};

constexpr NamedEntity kNamedEntities[] = {
#include "tokenizer/html_entities_table.inc"
};

constexpr size_t kMaxReferenceLength = 24;

bool IsAsciiAlnum(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

std::optional<std::string_view> FindNamedEntity(std::string_view name) {
  const auto* end = std::end(kNamedEntities);
  const auto* it = std::lower_bound(
      std::begin(kNamedEntities), end, name,
      [](const NamedEntity& entity, std::string_view key) { return entity.name < key; });
  if (it == end || it->name != name) return std::nullopt;
  return it->value;
}

int DigitValue(char32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<int>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<int>(c - 'A' + 10);
  return 99;
}

// Parses digits in `base`; values above U+10FFFF saturate, since they all
// decode the same way.
std::optional<uint32_t> ParseNumber(std::u32string_view digits, int base) {
  if (digits.empty()) return std::nullopt;
  uint32_t value = 0;
  for (char32_t c : digits) {
    int digit = DigitValue(c);
    if (digit >= base) return std::nullopt;
    value = std::min<uint32_t>(value * static_cast<uint32_t>(base) + static_cast<uint32_t>(digit),
                               0x110000);
  }
  return value;
}

bool IsInvalidCodePoint(uint32_t value) {
  return (value >= 0x01 && value <= 0x08) || value == 0x0B || (value >= 0x0E && value <= 0x1F) ||
         (value >= 0x7F && value <= 0x9F) || (value >= 0xFDD0 && value <= 0xFDEF) ||
         (value & 0xFFFE) == 0xFFFE;
}

// The text html.unescape gives for "&#<body>;", or nullopt when it would
// decode only part of it (html.unescape("&#12ab;") keeps "ab;").
std::optional<std::u32string> DecodeNumericReference(std::u32string_view body) {
  std::optional<uint32_t> value;
  if (!body.empty() && (body[0] == 'x' || body[0] == 'X')) {
    value = ParseNumber(body.substr(1), 16);
  } else {
    value = ParseNumber(body, 10);
  }
  if (!value) return std::nullopt;
  if (*value == 0) return std::u32string(1, U'\uFFFD');
  if (*value == 0x0D) return std::u32string(1, U'\r');
  if (*value >= 0x80 && *value <= 0x9F) return std::u32string(1, DecodeWindows1252Byte(*value));
  if ((*value >= 0xD800 && *value <= 0xDFFF) || *value > 0x10FFFF) {
    return std::u32string(1, U'\uFFFD');
  }
  if (IsInvalidCodePoint(*value)) return std::u32string();
  return std::u32string(1, static_cast<char32_t>(*value));
}

// The replacement for a matched "&<body>;", or nullopt to keep it.
std::optional<std::u32string> Replacement(std::u32string_view body) {
  if (body[0] != '#') {
    std::string name = EncodeUtf8(body);
    std::optional<std::string_view> value = FindNamedEntity(name);
    if (!value) return std::nullopt;
    return DecodeUtf8(*value);
  }
  std::optional<std::u32string> decoded = DecodeNumericReference(body.substr(1));
  if (!decoded || decoded->find(U';') != std::u32string::npos) return std::nullopt;
  return decoded;
}

// Length of the body of a reference matching `&#?[0-9A-Za-z]{1,24};` at
// `pos` (the text between '&' and ';'), or 0.
size_t MatchReference(std::u32string_view text, size_t pos) {
  if (text[pos] != '&') return 0;
  size_t start = pos + 1;
  if (start < text.size() && text[start] == '#') ++start;
  size_t end = start;
  while (end < text.size() && IsAsciiAlnum(text[end]) && end - start < kMaxReferenceLength) ++end;
  if (end == start || end >= text.size() || text[end] != ';') return 0;
  return end - pos - 1;
}

}  // namespace

std::u32string UnescapeHtml(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t body_length = MatchReference(text, pos);
    if (body_length > 0) {
      std::u32string_view body = text.substr(pos + 1, body_length);
      if (std::optional<std::u32string> replacement = Replacement(body)) {
        out += *replacement;
      } else {
        out.append(text.substr(pos, body_length + 2));
      }
      pos += body_length + 2;
      continue;
    }
    out.push_back(text[pos]);
    ++pos;
  }
  return out;
}

}  // namespace msearch::tokenizer
