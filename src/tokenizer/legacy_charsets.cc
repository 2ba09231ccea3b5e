#include "tokenizer/legacy_charsets.h"

namespace msearch::tokenizer {
namespace {

// Windows-1252 bytes 0x80..0x9F; 0 marks the undefined ones.
constexpr char32_t kWindows1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

}  // namespace

char32_t DecodeWindows1252Byte(uint32_t byte) {
  if (byte >= 0x80 && byte <= 0x9F && kWindows1252High[byte - 0x80] != 0) {
    return kWindows1252High[byte - 0x80];
  }
  return static_cast<char32_t>(byte);
}

}  // namespace msearch::tokenizer
