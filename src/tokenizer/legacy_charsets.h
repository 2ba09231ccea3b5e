#pragma once

#include <cstdint>

namespace msearch::tokenizer {

// Decodes a byte 0x80..0x9F as Windows-1252 ("sloppy": the five bytes that
// code page leaves undefined, 0x81, 0x8D, 0x8F, 0x90 and 0x9D, decode to the
// C1 control of the same value). Other bytes decode as Latin-1.
char32_t DecodeWindows1252Byte(uint32_t byte);

}  // namespace msearch::tokenizer
