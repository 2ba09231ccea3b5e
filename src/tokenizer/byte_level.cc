#include "tokenizer/byte_level.h"

#include "tokenizer/unicode_text.h"

namespace msearch::tokenizer {
namespace {

bool StandsForItself(int byte) {
  return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) ||
         (byte >= 0xAE && byte <= 0xFF);
}

std::array<std::string, 256> BuildByteSymbols() {
  std::array<std::string, 256> symbols;
  char32_t next_extra = 0x100;
  for (int byte = 0; byte < 256; ++byte) {
    char32_t symbol = StandsForItself(byte) ? static_cast<char32_t>(byte) : next_extra++;
    AppendUtf8(symbol, symbols[byte]);
  }
  return symbols;
}

}  // namespace

const std::array<std::string, 256>& ByteSymbols() {
  static const std::array<std::string, 256> symbols = BuildByteSymbols();
  return symbols;
}

}  // namespace msearch::tokenizer
