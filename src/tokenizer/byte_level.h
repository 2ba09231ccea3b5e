#pragma once

#include <array>
#include <string>

namespace msearch::tokenizer {

// Returns the GPT-2 byte-to-symbol table, the alphabet of byte-level BPE
// vocabularies (GPT-2, RoBERTa, CLIP, Whisper). Printable Latin-1 bytes
// ('!'..'~', '¡'..'¬', '®'..'ÿ') are their own symbols. The other 68 bytes
// map to U+0100 onwards in byte order, so every byte has a visible,
// non-space symbol. Entry b is the UTF-8 encoding of the symbol for byte b.
const std::array<std::string, 256>& ByteSymbols();

}  // namespace msearch::tokenizer
