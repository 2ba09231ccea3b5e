#include "media/utf8_text.h"

namespace msearch::media {
namespace {

// Returns the length of the valid UTF-8 sequence starting at `text[0]`, or 0.
size_t ValidSequenceLength(std::string_view text) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  size_t length = 0;
  unsigned min_code_point = 0;
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    min_code_point = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    min_code_point = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    min_code_point = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  unsigned code_point = lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i) & 0x3F);
  }
  bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
  if (code_point < min_code_point || code_point > 0x10FFFF || surrogate) return 0;
  return length;
}

}  // namespace

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    size_t length = ValidSequenceLength(text);
    if (length == 0) {
      auto latin1 = static_cast<unsigned char>(text[0]);
      out.push_back(static_cast<char>(0xC0 | (latin1 >> 6)));
      out.push_back(static_cast<char>(0x80 | (latin1 & 0x3F)));
      length = 1;
    } else if (!(length == 1 && text[0] == '\0')) {
      out.append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  return out;
}

}  // namespace msearch::media
