#pragma once

#include <string_view>
#include <vector>

namespace msearch::tokenizer {

// Pre-tokenizers: split text into the pieces that BPE encodes one by one.
// Both reproduce `regex.findall(pattern, text)` of the Python `regex` module
// for the patterns below; \p{L} and \p{N} are the Unicode general categories
// L* and N*, and \s is the White_Space property. Pieces view `text`.

// CLIPTokenizer (transformers 4.27), applied to lower-cased text, with
// re.IGNORECASE:
//   <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// Digits become one piece each and whitespace separates pieces without
// being part of any.
std::vector<std::u32string_view> SplitClipPieces(std::u32string_view text);

// GPT-2, RoBERTa and Whisper (case-sensitive):
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// A single space stays attached to the word that follows it, and every
// character of the text is in exactly one piece.
std::vector<std::u32string_view> SplitGpt2Pieces(std::u32string_view text);

}  // namespace msearch::tokenizer
