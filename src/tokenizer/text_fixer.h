#pragma once

#include <string>
#include <string_view>

namespace msearch::tokenizer {

// Reproduces ftfy.fix_text with the default settings of ftfy 6.3.1, the
// normalization CLIPTokenizer (transformers 4.27) applies when ftfy is
// installed. The text is processed line by line; each line repeats these
// steps until nothing changes: HTML entity unescaping (skipped from the
// first line that contains '<' onwards, because that text may be HTML),
// C1 controls read as Windows-1252, Latin ligatures split ("ﬁ" -> "fi"),
// full-width and half-width forms to normal width, curly quotes to straight
// ones, line breaks to "\n", terminal escape sequences and control
// characters removed, then NFC.
// NOTE: ftfy's mojibake repair (re-decoding text such as "cafÃ©" that was
// UTF-8 read as Windows-1252) is not implemented, so such text keeps its
// mojibake here where ftfy would repair it.
std::u32string FixText(std::u32string_view text);

// Returns whitespace_clean(ftfy.fix_text(text)).lower(), the text that
// CLIPTokenizer splits into pieces: FixText, then every whitespace run
// becomes one space, the ends are stripped, and the text is lower-cased
// with full case mapping.
std::u32string NormalizeClipText(std::u32string_view text);

}  // namespace msearch::tokenizer
